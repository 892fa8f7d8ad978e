// Command kafkago-check drives a broker with segmentio/kafka-go 0.2.1 (Debian's
// golang-github-segmentio-kafka-go-dev) for test/e2e/go-clients.test.ts: one phase per run
// (create, produce, consume), one JSON object on stdout. kafka-go 0.2.1 speaks CreateTopics v0,
// Produce v2 and Fetch v2 with message format v1, and JoinGroup v1 / SyncGroup v0 / Heartbeat v0 /
// OffsetCommit v2 / OffsetFetch v1 in a consumer group.
package main

import (
	"checkutil"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/gzip"
	"github.com/segmentio/kafka-go/lz4"
	"github.com/segmentio/kafka-go/snappy"
)

type report struct {
	Produced int                `json:"produced,omitempty"`
	Consumed []checkutil.Record `json:"consumed,omitempty"`
	Error    string             `json:"error,omitempty"`
}

func main() {
	flag.Parse()
	out := report{}
	ctx, cancel := context.WithTimeout(context.Background(), *checkutil.Timeout)
	defer cancel()
	var err error
	switch *checkutil.Phase {
	case "create":
		err = create()
	case "produce":
		err = produce(ctx, &out)
	case "consume":
		err = consume(ctx, &out)
	default:
		err = fmt.Errorf("unknown phase %q", *checkutil.Phase)
	}
	if err != nil {
		out.Error = err.Error()
	}
	json.NewEncoder(os.Stdout).Encode(out)
}

func create() error {
	conn, err := kafka.Dial("tcp", *checkutil.Brokers)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.CreateTopics(kafka.TopicConfig{Topic: *checkutil.Topic, NumPartitions: *checkutil.Partitions, ReplicationFactor: 1})
}

func codec() (kafka.CompressionCodec, error) {
	switch *checkutil.Compression {
	case "none":
		return nil, nil
	case "gzip":
		return gzip.NewCompressionCodec(), nil
	case "snappy":
		return snappy.NewCompressionCodec(), nil
	case "lz4":
		return lz4.NewCompressionCodec(), nil
	}
	return nil, fmt.Errorf("unknown compression %q", *checkutil.Compression)
}

// produce writes k<i>/v<i> synchronously, keys hashed to partitions, in batches of up to 50.
func produce(ctx context.Context, out *report) error {
	c, err := codec()
	if err != nil {
		return err
	}
	w := kafka.NewWriter(kafka.WriterConfig{
		Brokers: []string{*checkutil.Brokers}, Topic: *checkutil.Topic, Balancer: &kafka.Hash{}, RequiredAcks: -1,
		BatchSize: 50, BatchTimeout: 10 * time.Millisecond, CompressionCodec: c, MaxAttempts: 3,
	})
	messages := make([]kafka.Message, *checkutil.Count)
	for i := range messages {
		n := *checkutil.First + i
		messages[i] = kafka.Message{Key: []byte(fmt.Sprintf("k%d", n)), Value: []byte(fmt.Sprintf("v%d", n)), Time: checkutil.TimestampOf(n)}
	}
	if err := w.WriteMessages(ctx, messages...); err != nil {
		w.Close()
		return err
	}
	out.Produced = len(messages)
	return w.Close()
}

// consume reads in the group until -max records, committing each one synchronously.
func consume(ctx context.Context, out *report) error {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{*checkutil.Brokers}, GroupID: *checkutil.Group, Topic: *checkutil.Topic,
		MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 100 * time.Millisecond,
		HeartbeatInterval: 500 * time.Millisecond, SessionTimeout: 6 * time.Second, RebalanceTimeout: 6 * time.Second,
	})
	for len(out.Consumed) < *checkutil.MaxConsumed {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			r.Close()
			return fmt.Errorf("after %d of %d records: %v", len(out.Consumed), *checkutil.MaxConsumed, err)
		}
		out.Consumed = append(out.Consumed, checkutil.Record{Partition: int32(m.Partition), Offset: m.Offset, Key: string(m.Key), Value: string(m.Value), Timestamp: checkutil.Millis(m.Time)})
		if err := r.CommitMessages(ctx, m); err != nil {
			r.Close()
			return fmt.Errorf("commit: %v", err)
		}
	}
	return r.Close()
}
