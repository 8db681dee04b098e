// Kafka's dynamic listener, TLS and SASL broker configs (DynamicBrokerConfig's DynamicListenerConfig and
// SslConfigs.RECONFIGURABLE_CONFIGS, types and defaults of Kafka 3.9). The gateway's listeners, TLS and SASL are set by
// its flags (--listen, --tls-*, --sasl-*), so these are accepted, stored and reported, and have no effect; passwords
// are stored and never shown.
import type { BrokerConfigDef } from "./broker_defs.ts";
import { oneOf } from "./values.ts";

/** Why none of these takes effect (the last sentence of their documentation). */
export const NO_TLS_SASL =
  " Accepted and stored; it has no effect: this gateway's listeners, TLS and SASL are set by its flags (--listen, --tls-*, --sasl-*).";

type Row = Omit<BrokerConfigDef, "dynamic" | "noEffect" | "perBroker">;

/** Kafka's per-broker dynamic listener configs (DynamicListenerConfig.ReconfigurableConfigs). */
const perBroker = (row: Row): BrokerConfigDef => ({
  dynamic: true,
  perBroker: true,
  noEffect: NO_TLS_SASL,
  perListener: "also",
  ...row,
});

/** SslConfigs.RECONFIGURABLE_CONFIGS: Kafka takes them only per listener (listener.name.<listener>.<name>). */
const keystore = (row: Omit<Row, "perListener">): BrokerConfigDef =>
  perBroker({ ...row, perListener: "only" });

/**
 * Kafka's ListenerMechanismConfigs other than sasl.jaas.config: read-only as such, dynamic only per listener and SASL
 * mechanism (listener.name.<listener>.<mechanism>.<name>), which is per broker.
 */
const mechanismOnly = (row: Omit<Row, "perListener">): BrokerConfigDef => ({
  ...perBroker({ ...row, perListener: "mechanism" }),
  dynamic: false,
  doc: row.doc + " Dynamic only per listener and SASL mechanism: listener.name.<listener>.<mechanism>." +
    row.name + ".",
});

export const SECURITY_CONFIGS: readonly BrokerConfigDef[] = [
  perBroker({
    name: "listener.security.protocol.map",
    type: "string",
    default: "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT",
    perListener: undefined,
    doc: "Security protocol of each listener name.",
  }),
  perBroker({
    name: "principal.builder.class",
    type: "class",
    default: "org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder",
    doc: "KafkaPrincipalBuilder that builds the principal of a connection.",
  }),
  // ---- TLS ----
  perBroker({ name: "ssl.cipher.suites", type: "list", default: "", doc: "TLS cipher suites." }),
  perBroker({
    name: "ssl.client.auth",
    type: "string",
    default: "none",
    check: oneOf("required", "requested", "none"),
    doc: "Whether the broker asks TLS clients for a certificate.",
  }),
  perBroker({
    name: "ssl.enabled.protocols",
    type: "list",
    default: "TLSv1.2,TLSv1.3",
    doc: "TLS protocol versions enabled.",
  }),
  perBroker({
    name: "ssl.endpoint.identification.algorithm",
    type: "string",
    default: "https",
    doc: "Server host name verification algorithm.",
  }),
  perBroker({
    name: "ssl.engine.factory.class",
    type: "class",
    default: null,
    doc: "SslEngineFactory implementation.",
  }),
  keystore({
    name: "ssl.key.password",
    type: "password",
    default: null,
    doc: "Password of the private key.",
  }),
  perBroker({
    name: "ssl.keymanager.algorithm",
    type: "string",
    default: "SunX509",
    doc: "Key manager factory algorithm.",
  }),
  keystore({
    name: "ssl.keystore.certificate.chain",
    type: "password",
    default: null,
    doc: "Certificate chain in PEM format.",
  }),
  keystore({ name: "ssl.keystore.key", type: "password", default: null, doc: "Private key in PEM format." }),
  keystore({ name: "ssl.keystore.location", type: "string", default: null, doc: "Key store file." }),
  keystore({ name: "ssl.keystore.password", type: "password", default: null, doc: "Key store password." }),
  keystore({ name: "ssl.keystore.type", type: "string", default: "JKS", doc: "Key store file format." }),
  perBroker({
    name: "ssl.protocol",
    type: "string",
    default: "TLSv1.3",
    doc: "TLS protocol of the SSLContext.",
  }),
  perBroker({ name: "ssl.provider", type: "string", default: null, doc: "Security provider of TLS." }),
  perBroker({
    name: "ssl.secure.random.implementation",
    type: "string",
    default: null,
    doc: "SecureRandom implementation for TLS.",
  }),
  perBroker({
    name: "ssl.trustmanager.algorithm",
    type: "string",
    default: "PKIX",
    doc: "Trust manager factory algorithm.",
  }),
  keystore({
    name: "ssl.truststore.certificates",
    type: "password",
    default: null,
    doc: "Trusted certificates in PEM format.",
  }),
  keystore({ name: "ssl.truststore.location", type: "string", default: null, doc: "Trust store file." }),
  keystore({
    name: "ssl.truststore.password",
    type: "password",
    default: null,
    doc: "Trust store password.",
  }),
  keystore({ name: "ssl.truststore.type", type: "string", default: "JKS", doc: "Trust store file format." }),
  // ---- SASL ----
  perBroker({
    name: "sasl.enabled.mechanisms",
    type: "list",
    default: "GSSAPI",
    doc: "SASL mechanisms enabled.",
  }),
  perBroker({
    name: "sasl.jaas.config",
    type: "password",
    default: null,
    perListener: "mechanism",
    doc: "JAAS login context (also per listener and mechanism: listener.name.<listener>.<mechanism>." +
      "sasl.jaas.config).",
  }),
  perBroker({
    name: "sasl.kerberos.kinit.cmd",
    type: "string",
    default: "/usr/bin/kinit",
    doc: "Kerberos kinit command path.",
  }),
  perBroker({
    name: "sasl.kerberos.min.time.before.relogin",
    type: "long",
    default: "60000",
    doc: "Login thread sleep time between refresh attempts (ms).",
  }),
  perBroker({
    name: "sasl.kerberos.principal.to.local.rules",
    type: "list",
    default: "DEFAULT",
    doc: "Rules mapping Kerberos principal names to short names.",
  }),
  perBroker({
    name: "sasl.kerberos.service.name",
    type: "string",
    default: null,
    doc: "Kerberos principal name Kafka runs as.",
  }),
  perBroker({
    name: "sasl.kerberos.ticket.renew.jitter",
    type: "double",
    default: "0.05",
    doc: "Random jitter added to the Kerberos renewal time.",
  }),
  perBroker({
    name: "sasl.kerberos.ticket.renew.window.factor",
    type: "double",
    default: "0.8",
    doc: "Share of the Kerberos ticket lifetime after which it is renewed.",
  }),
  perBroker({
    name: "sasl.login.refresh.buffer.seconds",
    type: "short",
    default: "300",
    doc: "Buffer time before credential expiration to keep when refreshing.",
  }),
  perBroker({
    name: "sasl.login.refresh.min.period.seconds",
    type: "short",
    default: "60",
    doc: "Least time between credential refreshes.",
  }),
  perBroker({
    name: "sasl.login.refresh.window.factor",
    type: "double",
    default: "0.8",
    doc: "Share of the credential lifetime after which it is refreshed.",
  }),
  perBroker({
    name: "sasl.login.refresh.window.jitter",
    type: "double",
    default: "0.05",
    doc: "Random jitter added to the credential refresh time.",
  }),
  perBroker({
    name: "sasl.mechanism.inter.broker.protocol",
    type: "string",
    default: "GSSAPI",
    doc: "SASL mechanism between brokers.",
  }),
  mechanismOnly({
    name: "connections.max.reauth.ms",
    type: "long",
    default: "0",
    doc: "Session lifetime after which SASL clients must re-authenticate (0 = never).",
  }),
  mechanismOnly({
    name: "sasl.login.callback.handler.class",
    type: "class",
    default: null,
    doc: "SASL login callback handler.",
  }),
  mechanismOnly({
    name: "sasl.login.class",
    type: "class",
    default: null,
    doc: "SASL Login implementation.",
  }),
  mechanismOnly({
    name: "sasl.server.callback.handler.class",
    type: "class",
    default: null,
    doc: "SASL server callback handler.",
  }),
];
