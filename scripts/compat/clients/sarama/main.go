// Sarama 1.22.1 (Debian golang-github-shopify-sarama-dev, GOPATH mode). Option version=V0_10_2_0|V0_11_0_0|V2_1_0_0
// sets cfg.Version, from which Sarama derives every request version (it does not negotiate): V0_10_2_0 produces
// magic-1 message sets with Produce v2 and fetches with Fetch v3; V0_11_0_0 and later use RecordBatch (Produce v3,
// Fetch v4+). Headers need V0_11_0_0+, zstd needs V2_1_0_0, idempotence needs V0_11_0_0+.
// See ../README.md for the command line and the JSON result.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

type result struct {
	Ok    bool            `json:"ok"`
	Error string          `json:"error,omitempty"`
	Acks  [][]interface{} `json:"acks,omitempty"`
	Msgs  [][]interface{} `json:"msgs,omitempty"`
	Info  interface{}     `json:"info,omitempty"`
}

var (
	mu   sync.Mutex
	got  [][]interface{}
	info = map[string]string{}
)

func done(r result) {
	mu.Lock()
	if r.Msgs == nil && len(got) > 0 {
		r.Msgs = got
	}
	r.Info = info
	b, _ := json.Marshal(r)
	mu.Unlock()
	fmt.Println(string(b))
	if r.Ok {
		os.Exit(0)
	}
	os.Exit(1)
}

func record(m *sarama.ConsumerMessage) int {
	var h interface{}
	for _, rh := range m.Headers {
		if rh != nil && string(rh.Key) == "h" {
			h = string(rh.Value)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	got = append(got, []interface{}{m.Partition, m.Offset, string(m.Key), string(m.Value), h})
	return len(got)
}

func count() int {
	mu.Lock()
	defer mu.Unlock()
	return len(got)
}

type handler struct {
	n    int
	mark bool
	done chan struct{}
	once sync.Once
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		if count() >= h.n {
			continue // already complete: do not mark beyond what was reported
		}
		if h.mark {
			s.MarkMessage(m, "")
		}
		if record(m) >= h.n {
			h.once.Do(func() { close(h.done) })
		}
	}
	return nil
}

func main() {
	if len(os.Args) < 5 {
		done(result{Error: "usage: sarama scenario bootstrap topic group [k=v...]"})
	}
	scenario, bootstrap, topic, group := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
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
		time.Sleep(3 * time.Second)
		done(result{Error: fmt.Sprintf("timeout after %d ms", timeoutMs)})
	}()

	cfg := sarama.NewConfig()
	cfg.ClientID = "compat-sarama"
	if id := opt["client_id"]; id != "" {
		cfg.ClientID = id
	}
	versions := map[string]sarama.KafkaVersion{
		"V0_10_2_0": sarama.V0_10_2_0, "V0_11_0_0": sarama.V0_11_0_0, "V1_0_0_0": sarama.V1_0_0_0,
		"V2_0_0_0": sarama.V2_0_0_0, "V2_1_0_0": sarama.V2_1_0_0,
	}
	v, ok := versions[opt["version"]]
	if !ok {
		done(result{Error: "unknown version " + opt["version"]})
	}
	cfg.Version = v
	info["version"] = v.String()
	cfg.Metadata.Retry.Backoff = 200 * time.Millisecond
	cfg.Consumer.MaxWaitTime = 500 * time.Millisecond
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.CommitInterval = 200 * time.Millisecond
	cfg.Consumer.Return.Errors = true
	cfg.Consumer.Group.Session.Timeout = 10 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond

	switch scenario {
	case "produce":
		cfg.Producer.Return.Successes = true
		cfg.Producer.RequiredAcks = sarama.WaitForAll
		cfg.Producer.Partitioner = sarama.NewHashPartitioner
		cfg.Producer.Flush.Frequency = 5 * time.Millisecond
		switch opt["compression"] {
		case "gzip":
			cfg.Producer.Compression = sarama.CompressionGZIP
		case "snappy":
			cfg.Producer.Compression = sarama.CompressionSnappy
		case "lz4":
			cfg.Producer.Compression = sarama.CompressionLZ4
		case "zstd":
			cfg.Producer.Compression = sarama.CompressionZSTD
		}
		if opt["idempotent"] == "1" {
			cfg.Producer.Idempotent = true
			cfg.Net.MaxOpenRequests = 1
			cfg.Producer.Retry.Max = 5
		}
		p, err := sarama.NewSyncProducer(strings.Split(bootstrap, ","), cfg)
		if err != nil {
			done(result{Error: "producer: " + err.Error()})
		}
		msgs := []*sarama.ProducerMessage{}
		for i := start; i < start+n; i++ {
			m := &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprintf("k-%d", i)),
				Value: sarama.StringEncoder(fmt.Sprintf("v-%d|%s", i, pad)), Metadata: i}
			if opt["headers"] == "1" {
				m.Headers = []sarama.RecordHeader{{Key: []byte("h"), Value: []byte(strconv.Itoa(i))}}
			}
			msgs = append(msgs, m)
		}
		if err := p.SendMessages(msgs); err != nil {
			p.Close()
			done(result{Error: "send: " + err.Error()})
		}
		acks := [][]interface{}{}
		for _, m := range msgs {
			acks = append(acks, []interface{}{m.Metadata, m.Partition, m.Offset})
		}
		if err := p.Close(); err != nil {
			done(result{Error: "close: " + err.Error()})
		}
		done(result{Ok: true, Acks: acks})
	case "fetch":
		// isolation=read_committed: skip aborted transactions, stop at the last stable offset (V0_11_0_0+).
		if opt["isolation"] == "read_committed" {
			cfg.Consumer.IsolationLevel = sarama.ReadCommitted
		}
		c, err := sarama.NewConsumer(strings.Split(bootstrap, ","), cfg)
		if err != nil {
			done(result{Error: "consumer: " + err.Error()})
		}
		parts, err := c.Partitions(topic)
		if err != nil {
			done(result{Error: "partitions: " + err.Error()})
		}
		all := make(chan *sarama.ConsumerMessage, 1000)
		errs := make(chan error, 10)
		for _, p := range parts {
			pc, err := c.ConsumePartition(topic, p, sarama.OffsetOldest)
			if err != nil {
				done(result{Error: fmt.Sprintf("consume partition %d: %v", p, err)})
			}
			go func() {
				for m := range pc.Messages() {
					all <- m
				}
			}()
			go func() {
				for e := range pc.Errors() {
					errs <- e
				}
			}()
		}
		for count() < n {
			select {
			case m := <-all:
				record(m)
			case e := <-errs:
				done(result{Error: "partition consumer: " + e.Error()})
			case <-ctx.Done():
				done(result{Error: "timeout"})
			}
		}
		c.Close()
		done(result{Ok: true})
	case "group":
		g, err := sarama.NewConsumerGroup(strings.Split(bootstrap, ","), group, cfg)
		if err != nil {
			done(result{Error: "group: " + err.Error()})
		}
		go func() {
			for e := range g.Errors() {
				mu.Lock()
				info["lastError"] = e.Error()
				mu.Unlock()
			}
		}()
		// commit=0: a member that only reports what it got (the split scenario), nothing marked or committed.
		h := &handler{n: n, mark: opt["commit"] != "0", done: make(chan struct{})}
		cctx, ccancel := context.WithCancel(ctx)
		go func() {
			for cctx.Err() == nil {
				if err := g.Consume(cctx, []string{topic}, h); err != nil {
					mu.Lock()
					info["consumeError"] = err.Error()
					mu.Unlock()
					time.Sleep(200 * time.Millisecond)
				}
			}
		}()
		tick := time.NewTicker(100 * time.Millisecond)
		lastCount, lastAt := 0, time.Now()
	wait:
		for {
			select {
			case <-h.done:
				break wait
			case <-ctx.Done():
				done(result{Error: "timeout"})
			case <-tick.C:
				if c := count(); c != lastCount {
					lastCount, lastAt = c, time.Now()
				} else if idle > 0 && c > 0 && time.Since(lastAt) >= idle {
					break wait
				}
			}
		}
		tick.Stop()
		ccancel()
		// Close ends the session: the offset manager flushes the marked offsets (OffsetCommit) before leaving.
		if err := g.Close(); err != nil {
			done(result{Error: "close: " + err.Error()})
		}
		done(result{Ok: true})
	default:
		done(result{Error: "unknown scenario " + scenario})
	}
}

const pad = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" +
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
