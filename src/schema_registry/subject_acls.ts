// Kafka ACLs applied to Schema Registry subjects (--authorizer acl). Kafka's ACL model has no subject resource, so
// a subject is authorized as the topic it belongs to under TopicNameStrategy, the naming Confluent's serializers use
// by default: `<topic>-key` and `<topic>-value` are the topic's. Reading a subject needs DESCRIBE on the topic,
// registering a schema WRITE, deleting DELETE, changing its compatibility or mode ALTER_CONFIGS. Other subjects
// (RecordNameStrategy's record names, TopicRecordNameStrategy's `<topic>-<record>`, whose topic cannot be told
// apart from a dotted record name) are the Cluster's: DESCRIBE to read, ALTER to change. The registry as a whole
// (global compatibility and mode) needs ALTER_CONFIGS on the Cluster. Super users may do everything (the matcher).
import type { AclMatcher } from "../security/acl/matcher.ts";
import { AclOperation, CLUSTER_NAME, ResourceType } from "../security/acl/model.ts";
import type { RegistryCaller, SubjectAccess } from "./http.ts";

const TOPIC_OPS: Record<SubjectAccess, number> = {
  read: AclOperation.DESCRIBE,
  write: AclOperation.WRITE,
  delete: AclOperation.DELETE,
  alter: AclOperation.ALTER_CONFIGS,
};

const CLUSTER_OPS: Record<SubjectAccess, number> = {
  read: AclOperation.DESCRIBE,
  write: AclOperation.ALTER,
  delete: AclOperation.ALTER,
  alter: AclOperation.ALTER,
};

/** The topic a TopicNameStrategy subject belongs to, or null for any other subject. */
export function subjectTopic(subject: string): string | null {
  const m = /^(.+)-(key|value)$/.exec(subject);
  return m === null ? null : m[1];
}

/** What `principal` at `host` may do to subjects, by the ACLs in `matcher`. */
export function aclCaller(matcher: AclMatcher, principal: string, host: string): RegistryCaller {
  const who = { principal, host };
  return {
    may(access: SubjectAccess, subject: string | null): boolean {
      if (subject === null) {
        return access === "read" ||
          matcher.authorize(who, AclOperation.ALTER_CONFIGS, ResourceType.CLUSTER, CLUSTER_NAME);
      }
      const topic = subjectTopic(subject);
      return topic === null
        ? matcher.authorize(who, CLUSTER_OPS[access], ResourceType.CLUSTER, CLUSTER_NAME)
        : matcher.authorize(who, TOPIC_OPS[access], ResourceType.TOPIC, topic);
    },
  };
}
