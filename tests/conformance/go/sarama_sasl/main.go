// Sarama 1.22.1 (Debian, GOPATH mode) with SASL PLAIN, for tests/conformance/sasl_clients_test.ts. Its handshake
// version follows cfg.Version: V0_10_2_0 sends SaslHandshake v0 and then the PLAIN token raw (no request header),
// V1_0_0_0 sends SaslHandshake v1 and SaslAuthenticate. Usage: sarama_sasl BOOTSTRAP USER PASSWORD VERSION TOPIC
// [CA_FILE]; with CA_FILE it connects over TLS (SASL_SSL), trusting that CA. Prints "ok" after one record is
// acknowledged, else the error (exit 1).
package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io/ioutil"
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
	if len(os.Args) > 6 {
		pem, err := ioutil.ReadFile(os.Args[6])
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		cfg.Net.TLS.Enable = true
		cfg.Net.TLS.Config = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
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
