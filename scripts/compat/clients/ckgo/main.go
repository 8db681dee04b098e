// confluent-kafka-go 0.11.6 (Debian golang-github-confluentinc-confluent-kafka-go-dev, cgo against Debian's
// librdkafka 2.0.2, GOPATH mode). See ../README.md for the command line and the JSON result.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/confluentinc/confluent-kafka-go/kafka"
)

type result struct {
	Ok    bool            `json:"ok"`
	Error string          `json:"error,omitempty"`
	Acks  [][]interface{} `json:"acks,omitempty"`
	Msgs  [][]interface{} `json:"msgs,omitempty"`
	Info  interface{}     `json:"info,omitempty"`
}

var (
	got  [][]interface{}
	info = map[string]string{}
)

func done(r result) {
	if r.Msgs == nil && len(got) > 0 {
		r.Msgs = got
	}
	r.Info = info
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
	if r.Ok {
		os.Exit(0)
	}
	os.Exit(1)
}

func record(m *kafka.Message) {
	var h interface{}
	for _, rh := range m.Headers {
		if rh.Key == "h" {
			h = string(rh.Value)
		}
	}
	var k interface{}
	if m.Key != nil {
		k = string(m.Key)
	}
	got = append(got, []interface{}{m.TopicPartition.Partition, int64(m.TopicPartition.Offset), k, string(m.Value), h})
}

func main() {
	if len(os.Args) < 5 {
		done(result{Error: "usage: ckgo scenario bootstrap topic group [k=v...]"})
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
	deadline := time.Now().Add(time.Duration(timeoutMs) * time.Millisecond)
	go func() {
		time.Sleep(time.Duration(timeoutMs+5000) * time.Millisecond)
		done(result{Error: fmt.Sprintf("timeout after %d ms", timeoutMs)})
	}()
	_, ver := kafka.LibraryVersion()
	info["librdkafka"] = ver
	pad := strings.Repeat("x", 200)
	clientID := "rdkafka"
	if id := opt["client_id"]; id != "" {
		clientID = id
	}

	switch scenario {
	case "produce":
		conf := &kafka.ConfigMap{"bootstrap.servers": bootstrap, "client.id": clientID, "acks": "all", "linger.ms": 5,
			"compression.codec": "none", "topic.metadata.refresh.interval.ms": 1000}
		if c := opt["compression"]; c != "" {
			conf.SetKey("compression.codec", c)
		}
		if opt["idempotent"] == "1" {
			conf.SetKey("enable.idempotence", true)
		}
		p, err := kafka.NewProducer(conf)
		if err != nil {
			done(result{Error: "producer: " + err.Error()})
		}
		dr := make(chan kafka.Event, n)
		for i := start; i < start+n; i++ {
			m := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny},
				Key: []byte(fmt.Sprintf("k-%d", i)), Value: []byte(fmt.Sprintf("v-%d|%s", i, pad)), Opaque: i}
			if opt["headers"] == "1" {
				m.Headers = []kafka.Header{{Key: "h", Value: []byte(strconv.Itoa(i))}}
			}
			if err := p.Produce(m, dr); err != nil {
				done(result{Error: "produce: " + err.Error()})
			}
		}
		acks := [][]interface{}{}
		for len(acks) < n {
			select {
			case ev := <-dr:
				m := ev.(*kafka.Message)
				if m.TopicPartition.Error != nil {
					done(result{Error: "delivery: " + m.TopicPartition.Error.Error()})
				}
				acks = append(acks, []interface{}{m.Opaque, m.TopicPartition.Partition, int64(m.TopicPartition.Offset)})
			case ev := <-p.Events():
				if e, ok := ev.(kafka.Error); ok {
					info["lastError"] = e.Error() // 0.11 has no fatal-error flag; librdkafka retries the rest
				}
			case <-time.After(time.Until(deadline)):
				done(result{Error: "timeout waiting for delivery reports"})
			}
		}
		p.Close()
		done(result{Ok: true, Acks: acks})
	case "fetch", "group":
		conf := &kafka.ConfigMap{"bootstrap.servers": bootstrap, "client.id": clientID, "group.id": group, "enable.auto.commit": false,
			"fetch.wait.max.ms": 500, "session.timeout.ms": 10000, "heartbeat.interval.ms": 500,
			"topic.metadata.refresh.interval.ms": 1000,
			"default.topic.config":               kafka.ConfigMap{"auto.offset.reset": "earliest"}}
		if iso := opt["isolation"]; iso != "" { // read_committed: skip aborted transactions (librdkafka's setting)
			(*conf)["isolation.level"] = iso
		}
		c, err := kafka.NewConsumer(conf)
		if err != nil {
			done(result{Error: "consumer: " + err.Error()})
		}
		if scenario == "fetch" {
			md, err := c.GetMetadata(&topic, false, 10000)
			if err != nil {
				done(result{Error: "metadata: " + err.Error()})
			}
			var tps []kafka.TopicPartition
			for _, p := range md.Topics[topic].Partitions {
				tps = append(tps, kafka.TopicPartition{Topic: &topic, Partition: p.ID, Offset: kafka.OffsetBeginning})
			}
			if err := c.Assign(tps); err != nil {
				done(result{Error: "assign: " + err.Error()})
			}
		} else if err := c.Subscribe(topic, nil); err != nil {
			done(result{Error: "subscribe: " + err.Error()})
		}
		lastAt := time.Now()
	poll:
		for len(got) < n && time.Now().Before(deadline) {
			switch ev := c.Poll(200).(type) {
			case *kafka.Message:
				if ev.TopicPartition.Error != nil {
					done(result{Error: "message: " + ev.TopicPartition.Error.Error()})
				}
				record(ev)
				lastAt = time.Now()
			case kafka.Error:
				info["lastError"] = ev.Error()
			case nil:
				if scenario == "group" && idle > 0 && len(got) > 0 && time.Since(lastAt) >= idle {
					break poll
				}
			}
		}
		if len(got) < n && !(scenario == "group" && idle > 0 && len(got) > 0) {
			c.Close()
			done(result{Error: "timeout"})
		}
		if scenario == "group" && opt["commit"] != "0" { // commit=0: only report what was consumed (split)
			if _, err := c.Commit(); err != nil {
				c.Close()
				done(result{Error: "commit: " + err.Error()})
			}
		}
		c.Close()
		done(result{Ok: true})
	default:
		done(result{Error: "unknown scenario " + scenario})
	}
}
