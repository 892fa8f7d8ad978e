// Package checkutil holds what the Go client checks under test/go share: the record they report
// and the record times they produce and read back.
package checkutil

import "time"

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
