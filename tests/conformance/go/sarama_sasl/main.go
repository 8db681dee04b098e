// Sarama 1.22.1 (Debian, GOPATH mode) with SASL PLAIN, for tests/conformance/sasl_clients_test.ts. Its handshake
// version follows cfg.Version: V0_10_2_0 sends SaslHandshake v0 and then the PLAIN token raw (no request header),
// V1_0_0_0 sends SaslHandshake v1 and SaslAuthenticate. Usage: sarama_sasl BOOTSTRAP USER PASSWORD VERSION TOPIC;
// prints "ok" after one record is acknowledged, else the error (exit 1).
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/Shopify/sarama"
)

func main() {
	cfg := sarama.NewConfig()
	v, err := sarama.ParseKafkaVersion(os.Args[4])
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	cfg.Version = v
	cfg.Net.SASL.Enable = true
	cfg.Net.SASL.Handshake = true
	cfg.Net.SASL.Mechanism = sarama.SASLTypePlaintext
	cfg.Net.SASL.User = os.Args[2]
	cfg.Net.SASL.Password = os.Args[3]
	cfg.Net.DialTimeout = 5 * time.Second
	cfg.Metadata.Retry.Max = 1
	cfg.Producer.Return.Successes = true
	p, err := sarama.NewSyncProducer([]string{os.Args[1]}, cfg)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	defer p.Close()
	if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: os.Args[5], Value: sarama.StringEncoder("v")}); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("ok")
}
