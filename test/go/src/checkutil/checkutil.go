// Package checkutil holds what the Go client checks under test/go share: their flags, the record
// they report and the record times they produce and read back.
package checkutil

import (
	"flag"
	"time"
)

// The flags every check takes; each check adds its own.
var (
	Brokers     = flag.String("brokers", "127.0.0.1:9092", "bootstrap broker")
	Phase       = flag.String("phase", "", "create | produce | consume")
	Topic       = flag.String("topic", "", "topic")
	Group       = flag.String("group", "", "consumer group")
	Partitions  = flag.Int("partitions", 3, "partitions of a created topic")
	Count       = flag.Int("records", 100, "records to produce")
	First       = flag.Int("from", 0, "index of the first produced record (keys k<i>, values v<i>)")
	MaxConsumed = flag.Int("max", 0, "records to consume and commit before stopping")
	Compression = flag.String("compression", "none", "none | gzip | snappy | lz4")
	Timeout     = flag.Duration("timeout", 30*time.Second, "give up after this long")
)

// Record is one produced or consumed record as the checks report it (JSON on stdout).
type Record struct {
	Partition int32  `json:"p"`
	Offset    int64  `json:"o"`
	Key       string `json:"k"`
	Value     string `json:"v"`
	Timestamp int64  `json:"ts"`
}

// TimestampOf is record n's CreateTime: a fixed base plus n ms, so a consumer can check it.
func TimestampOf(n int) time.Time {
	return time.Unix(1_700_000_000, 0).Add(time.Duration(n) * time.Millisecond)
}

// Millis is a record time in ms, -1 for none (message format v0 has no timestamps).
func Millis(t time.Time) int64 {
	if t.IsZero() || t.Unix() <= 0 {
		return -1
	}
	return t.UnixNano() / 1e6
}
