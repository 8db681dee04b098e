// kafka-go 0.2.1 (Debian golang-github-segmentio-kafka-go-dev, GOPATH mode): no ApiVersions, Produce v2 with
// magic-1 message sets, Fetch v2, Metadata v1, JoinGroup v1, SyncGroup v0, OffsetCommit v2, OffsetFetch v1.
// No record headers (magic 1) and no idempotence. See ../README.md for the command line and the JSON result.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/gzip"
	"github.com/segmentio/kafka-go/lz4"
	"github.com/segmentio/kafka-go/snappy"
)

type result struct {
	Ok    bool            `json:"ok"`
	Error string          `json:"error,omitempty"`
	Msgs  [][]interface{} `json:"msgs,omitempty"`
	Info  interface{}     `json:"info,omitempty"`
}

var (
	mu  sync.Mutex
	got [][]interface{}
)

func done(r result) {
	mu.Lock()
	if r.Msgs == nil && len(got) > 0 {
		r.Msgs = got
	}
	b, _ := json.Marshal(r)
	mu.Unlock()
	fmt.Println(string(b))
	if r.Ok {
		os.Exit(0)
	}
	os.Exit(1)
}

func record(m kafka.Message) {
	mu.Lock()
	got = append(got, []interface{}{m.Partition, m.Offset, string(m.Key), string(m.Value), nil})
	mu.Unlock()
}

func count() int {
	mu.Lock()
	defer mu.Unlock()
	return len(got)
}

func main() {
	if len(os.Args) < 5 {
		done(result{Error: "usage: kafkago scenario bootstrap topic group [k=v...]"})
	}
	scenario, bootstrap, topic, group := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	// several gateways come comma-separated; kafka-go 0.2 dials one address and finds the others through Metadata
	bootstrap = strings.Split(bootstrap, ",")[0]
	opt := map[string]string{}
	for _, a := range os.Args[5:] {
		kv := strings.SplitN(a, "=", 2)
		if len(kv) == 2 {
			opt[kv[0]] = kv[1]
		}
	}
	num := func(k string, def int) int {
		if v, ok := opt[k]; ok {
			n, _ := strconv.Atoi(v)
			return n
		}
		return def
	}
	n, start, timeoutMs := num("n", 20), num("start", 0), num("timeout_ms", 30000)
	idle := time.Duration(num("idle_ms", 0)) * time.Millisecond // group: also stop once messages stopped arriving
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(timeoutMs)*time.Millisecond)
	defer cancel()
	go func() {
		<-ctx.Done()
		time.Sleep(2 * time.Second)
		done(result{Error: fmt.Sprintf("timeout after %d ms", timeoutMs)})
	}()
	dialer := &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, ClientID: "compat-kafka-go"}
	if id := opt["client_id"]; id != "" {
		dialer.ClientID = id
	}
	if opt["idempotent"] == "1" {
		done(result{Error: "kafka-go 0.2.1 has no idempotent producer"})
	}

	switch scenario {
	case "produce":
		var codec kafka.CompressionCodec
		switch opt["compression"] {
		case "gzip":
			codec = gzip.NewCompressionCodec()
		case "snappy":
			codec = snappy.NewCompressionCodec()
		case "lz4":
			codec = lz4.NewCompressionCodec()
		case "", "none":
		default:
			done(result{Error: "kafka-go 0.2.1 has no codec " + opt["compression"]})
		}
		w := kafka.NewWriter(kafka.WriterConfig{
			Brokers:          []string{bootstrap},
			Dialer:           dialer,
			Topic:            topic,
			Balancer:         &kafka.Hash{},
			RequiredAcks:     -1,
			BatchTimeout:     10 * time.Millisecond,
			CompressionCodec: codec,
		})
		msgs := []kafka.Message{}
		for i := start; i < start+n; i++ {
			msgs = append(msgs, kafka.Message{Key: []byte(fmt.Sprintf("k-%d", i)), Value: []byte(fmt.Sprintf("v-%d|%s", i, strings.Repeat("x", 200)))})
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			w.Close()
			done(result{Error: "write: " + err.Error()})
		}
		if err := w.Close(); err != nil {
			done(result{Error: "close: " + err.Error()})
		}
		done(result{Ok: true})
	case "fetch":
		conn, err := dialer.DialContext(ctx, "tcp", bootstrap)
		if err != nil {
			done(result{Error: "dial: " + err.Error()})
		}
		parts, err := conn.ReadPartitions(topic)
		conn.Close()
		if err != nil {
			done(result{Error: "partitions: " + err.Error()})
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i].ID < parts[j].ID })
		for _, p := range parts {
			r := kafka.NewReader(kafka.ReaderConfig{
				Brokers: []string{bootstrap}, Dialer: dialer, Topic: topic, Partition: p.ID, MaxWait: 500 * time.Millisecond,
				MinBytes: 1, MaxBytes: 1 << 20,
			})
			if err := r.SetOffset(kafka.FirstOffset); err != nil {
				done(result{Error: "seek: " + err.Error()})
			}
			// Read the partition up to its high watermark (known from ReadLag once the first fetch arrived).
			conn, err := dialer.DialLeader(ctx, "tcp", bootstrap, topic, p.ID)
			if err != nil {
				done(result{Error: "dial leader: " + err.Error()})
			}
			first, last, err := conn.ReadOffsets()
			conn.Close()
			if err != nil {
				done(result{Error: "offsets: " + err.Error()})
			}
			// Offsets may have gaps: COMMIT/ABORT control records of transactions are dropped from the magic-1
			// message sets this client reads (as Kafka's down-conversion drops them). When one ends the partition,
			// nothing more arrives below the high watermark: stop after 2 s without a message.
			for next := first; next < last; {
				rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				m, err := r.ReadMessage(rctx)
				cancel()
				if err != nil {
					if ctx.Err() == nil && rctx.Err() != nil {
						break
					}
					done(result{Error: fmt.Sprintf("read partition %d: %v", p.ID, err)})
				}
				record(m)
				next = m.Offset + 1
			}
			r.Close()
		}
		done(result{Ok: count() >= n})
	case "group":
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers: []string{bootstrap}, Dialer: dialer, GroupID: group, Topic: topic, MaxWait: 500 * time.Millisecond,
			MinBytes: 1, MaxBytes: 1 << 20, SessionTimeout: 10 * time.Second, HeartbeatInterval: 500 * time.Millisecond,
			CommitInterval: 0, // synchronous commits in CommitMessages
		})
		var read []kafka.Message
		for count() < n {
			fctx := ctx
			var fcancel context.CancelFunc = func() {}
			if idle > 0 && count() > 0 {
				fctx, fcancel = context.WithTimeout(ctx, idle)
			}
			m, err := r.FetchMessage(fctx)
			fcancel()
			if err != nil && idle > 0 && count() > 0 && ctx.Err() == nil {
				break // idle: no more messages for this member
			}
			if err != nil {
				r.Close()
				done(result{Error: "fetch: " + err.Error()})
			}
			record(m)
			read = append(read, m)
		}
		// commit=0: a member that only reports what it got (the split scenario)
		if opt["commit"] != "0" {
			if err := r.CommitMessages(ctx, read...); err != nil {
				r.Close()
				done(result{Error: "commit: " + err.Error()})
			}
		}
		if err := r.Close(); err != nil {
			done(result{Error: "close: " + err.Error()})
		}
		done(result{Ok: true})
	default:
		done(result{Error: "unknown scenario " + scenario})
	}
}
