// Command sarama-check drives a broker with sarama 1.22 (Debian's golang-github-shopify-sarama-dev)
// for test/e2e/go-clients.test.ts: one phase per run (create, produce, consume), one JSON object on
// stdout with what happened. -version picks the Kafka version sarama speaks ("" is its default,
// V0_8_2_0: Produce v0 with message format v0, Fetch v0, ListOffsets v0, OffsetCommit v1).
package main

import (
	"checkutil"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

type report struct {
	Produced []checkutil.Record `json:"produced,omitempty"`
	Consumed []checkutil.Record `json:"consumed,omitempty"`
	Start    map[int32]int64    `json:"start,omitempty"`
	Configs  map[string]string  `json:"configs,omitempty"`
	Error    string             `json:"error,omitempty"`
}

var version = flag.String("version", "", "Kafka version sarama speaks; empty: sarama's default")

func main() {
	flag.Parse()
	out := report{}
	err := run(&out)
	if err != nil {
		out.Error = err.Error()
	}
	json.NewEncoder(os.Stdout).Encode(out)
}

func config() (*sarama.Config, error) {
	c := sarama.NewConfig()
	c.ClientID = "sarama-check"
	if *version != "" {
		v, err := sarama.ParseKafkaVersion(*version)
		if err != nil {
			return nil, err
		}
		c.Version = v
	}
	c.Metadata.Retry.Backoff = 50 * time.Millisecond
	c.Producer.Return.Successes = true
	c.Producer.RequiredAcks = sarama.WaitForAll
	c.Producer.Partitioner = sarama.NewHashPartitioner
	codecs := map[string]sarama.CompressionCodec{"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy, "lz4": sarama.CompressionLZ4}
	codec, ok := codecs[*checkutil.Compression]
	if !ok {
		return nil, fmt.Errorf("unknown compression %q", *checkutil.Compression)
	}
	c.Producer.Compression = codec
	c.Consumer.Return.Errors = true
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.MaxWaitTime = 100 * time.Millisecond
	return c, nil
}

func run(out *report) error {
	c, err := config()
	if err != nil {
		return err
	}
	switch *checkutil.Phase {
	case "create":
		return create(c, out)
	case "produce":
		return produce(c, out)
	case "consume":
		if c.Version.IsAtLeast(sarama.V0_10_2_0) {
			return consumeInGroup(c, out)
		}
		return consumeWithOffsetManager(c, out)
	}
	return fmt.Errorf("unknown phase %q", *checkutil.Phase)
}

// create makes the topic (CreateTopics v0 below Kafka 0.11, v2 from 1.0), makes and deletes a
// scratch topic (DeleteTopics v0/v1), and from Kafka 0.11 reads the topic's configs (DescribeConfigs v0).
func create(c *sarama.Config, out *report) error {
	if !c.Version.IsAtLeast(sarama.V0_10_1_0) {
		c.Version = sarama.V0_10_1_0 // sarama's admin calls need at least this
	}
	admin, err := sarama.NewClusterAdmin([]string{*checkutil.Brokers}, c)
	if err != nil {
		return err
	}
	defer admin.Close()
	detail := &sarama.TopicDetail{NumPartitions: int32(*checkutil.Partitions), ReplicationFactor: 1}
	if err := admin.CreateTopic(*checkutil.Topic, detail, false); err != nil {
		return fmt.Errorf("create %s: %v", *checkutil.Topic, err)
	}
	scratch := *checkutil.Topic + "-scratch"
	if err := admin.CreateTopic(scratch, &sarama.TopicDetail{NumPartitions: 1, ReplicationFactor: 1}, false); err != nil {
		return fmt.Errorf("create %s: %v", scratch, err)
	}
	if err := admin.DeleteTopic(scratch); err != nil {
		return fmt.Errorf("delete %s: %v", scratch, err)
	}
	if !c.Version.IsAtLeast(sarama.V0_11_0_0) {
		return nil
	}
	entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: *checkutil.Topic})
	if err != nil {
		return fmt.Errorf("describe configs: %v", err)
	}
	out.Configs = map[string]string{}
	for _, e := range entries {
		out.Configs[e.Name] = e.Value
	}
	return nil
}

// produce sends records k<i>/v<i> in one SendMessages call, so each partition gets one request
// (one compressed wrapper message per partition when compressing).
func produce(c *sarama.Config, out *report) error {
	producer, err := sarama.NewSyncProducer([]string{*checkutil.Brokers}, c)
	if err != nil {
		return err
	}
	defer producer.Close()
	messages := make([]*sarama.ProducerMessage, *checkutil.Count)
	for i := range messages {
		n := *checkutil.First + i
		messages[i] = &sarama.ProducerMessage{Topic: *checkutil.Topic, Key: sarama.StringEncoder(fmt.Sprintf("k%d", n)), Value: sarama.StringEncoder(fmt.Sprintf("v%d", n)), Timestamp: checkutil.TimestampOf(n)}
	}
	if err := producer.SendMessages(messages); err != nil {
		return err
	}
	for i, m := range messages {
		n := *checkutil.First + i
		out.Produced = append(out.Produced, checkutil.Record{Partition: m.Partition, Offset: m.Offset, Key: fmt.Sprintf("k%d", n), Value: fmt.Sprintf("v%d", n), Timestamp: checkutil.Millis(checkutil.TimestampOf(n))})
	}
	return nil
}

// consumeWithOffsetManager is what sarama offers below Kafka 0.10.2: no group membership, offsets
// fetched (OffsetFetch v1) and committed (OffsetCommit v1, generation -1) through the coordinator,
// partitions read from the committed offset up to the high watermark (ListOffsets v0, Fetch v0).
func consumeWithOffsetManager(c *sarama.Config, out *report) error {
	client, err := sarama.NewClient([]string{*checkutil.Brokers}, c)
	if err != nil {
		return err
	}
	defer client.Close()
	offsets, err := sarama.NewOffsetManagerFromClient(*checkutil.Group, client)
	if err != nil {
		return err
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return err
	}
	ids, err := client.Partitions(*checkutil.Topic)
	if err != nil {
		return err
	}
	out.Start = map[int32]int64{}
	deadline := time.After(*checkutil.Timeout)
	for _, p := range ids {
		if len(out.Consumed) >= *checkutil.MaxConsumed {
			break
		}
		if err := consumePartition(client, consumer, offsets, p, out, deadline); err != nil {
			return err
		}
	}
	if err := consumer.Close(); err != nil {
		return err
	}
	return offsets.Close() // commits what was marked
}

func consumePartition(client sarama.Client, consumer sarama.Consumer, offsets sarama.OffsetManager, p int32, out *report, deadline <-chan time.Time) error {
	pom, err := offsets.ManagePartition(*checkutil.Topic, p)
	if err != nil {
		return err
	}
	defer pom.AsyncClose()
	next, _ := pom.NextOffset()
	end, err := client.GetOffset(*checkutil.Topic, p, sarama.OffsetNewest)
	if err != nil {
		return err
	}
	out.Start[p] = next
	if next == sarama.OffsetOldest {
		if next, err = client.GetOffset(*checkutil.Topic, p, sarama.OffsetOldest); err != nil {
			return err
		}
	}
	if next >= end {
		return nil
	}
	pc, err := consumer.ConsumePartition(*checkutil.Topic, p, next)
	if err != nil {
		return err
	}
	defer pc.Close()
	for len(out.Consumed) < *checkutil.MaxConsumed {
		select {
		case m := <-pc.Messages():
			out.Consumed = append(out.Consumed, checkutil.Record{Partition: p, Offset: m.Offset, Key: string(m.Key), Value: string(m.Value), Timestamp: checkutil.Millis(m.Timestamp)})
			pom.MarkOffset(m.Offset+1, "")
			if m.Offset+1 >= end {
				return nil
			}
		case e := <-pc.Errors():
			return e
		case <-deadline:
			return fmt.Errorf("timed out after %d of %d records", len(out.Consumed), *checkutil.MaxConsumed)
		}
	}
	return nil
}

// consumeInGroup joins the group (JoinGroup v1+, SyncGroup, Heartbeat), marks every record it
// reports until -max, and leaves; sarama commits the marked offsets (OffsetCommit v1+) as it closes.
func consumeInGroup(c *sarama.Config, out *report) error {
	consumerGroup, err := sarama.NewConsumerGroup([]string{*checkutil.Brokers}, *checkutil.Group, c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *checkutil.Timeout)
	defer cancel()
	h := &handler{out: out, done: cancel}
	out.Start = map[int32]int64{}
	go func() {
		for e := range consumerGroup.Errors() {
			h.fail(e)
		}
	}()
	for ctx.Err() == nil {
		if err := consumerGroup.Consume(ctx, []string{*checkutil.Topic}, h); err != nil {
			h.fail(err)
			break
		}
	}
	closeErr := consumerGroup.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil {
		return h.err
	}
	if len(out.Consumed) < *checkutil.MaxConsumed {
		return fmt.Errorf("timed out after %d of %d records", len(out.Consumed), *checkutil.MaxConsumed)
	}
	return closeErr
}

type handler struct {
	mu   sync.Mutex
	out  *report
	err  error
	done context.CancelFunc
}

func (h *handler) fail(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil && !errors.Is(err, context.Canceled) {
		h.err = err
	}
	h.done()
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h *handler) ConsumeClaim(session sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	h.mu.Lock()
	if _, seen := h.out.Start[claim.Partition()]; !seen {
		h.out.Start[claim.Partition()] = claim.InitialOffset()
	}
	h.mu.Unlock()
	for m := range claim.Messages() {
		h.mu.Lock()
		if len(h.out.Consumed) < *checkutil.MaxConsumed {
			h.out.Consumed = append(h.out.Consumed, checkutil.Record{Partition: m.Partition, Offset: m.Offset, Key: string(m.Key), Value: string(m.Value), Timestamp: checkutil.Millis(m.Timestamp)})
			session.MarkMessage(m, "")
			if len(h.out.Consumed) == *checkutil.MaxConsumed {
				h.done()
			}
		}
		h.mu.Unlock()
	}
	return nil
}
