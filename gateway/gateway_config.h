// Every configuration key of fax-gateway, with its default, in one place. The file is INI
// (`[section]` then `key = value`); a key is named `section.key` below and in messages. An
// unknown key or a value out of range stops the gateway at start-up with an error naming the
// key, so a typo never silently falls back to a default. docs/configuration.md lists them
// for administrators; contrib/gateway.ini is a working sample.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gateway/delivery/smtp_relay.h"

namespace faxgate::gateway {

class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
    ConfigError(const std::string& message, std::string key, std::string problem)
        : std::runtime_error(message), key_(std::move(key)), problem_(std::move(problem)) {}
    // The key at fault ("relay.port") and what is wrong with it; empty when the error is about
    // the file as a whole (missing, unreadable).
    const std::string& key() const { return key_; }
    const std::string& problem() const { return problem_; }

  private:
    std::string key_, problem_;
};

struct GatewayConfig {
    // [gateway]
    std::string hostname = "faxgate.local";    // gateway.hostname: SMTP greeting, Message-IDs
    std::string dataDir = "/var/lib/faxgate";  // gateway.data_dir: the store lives here
    std::string database;                      // gateway.database: default <data_dir>/faxgate.db
    std::string templatesDir = "/usr/share/faxgate/templates";  // gateway.templates_dir

    // [smtp] submission listener
    std::string smtpListenAddress = "127.0.0.1";  // smtp.listen_address
    int smtpPort = 2525;                          // smtp.port (0 = any free port)
    std::string faxDomain = "fax.local";          // smtp.fax_domain: <number>@<fax_domain>
    std::string tlsCertificateFile;               // smtp.tls_certificate: PEM; empty = no STARTTLS
    std::string tlsPrivateKeyFile;                // smtp.tls_private_key: PEM
    bool requireTlsForAuth = false;               // smtp.require_tls_for_auth
    int64_t maxMessageBytes = 25 * 1024 * 1024;   // smtp.max_message_bytes
    int maxRecipients = 100;                      // smtp.max_recipients: numbers per mail
    int maxCommandLineBytes = 12288;              // smtp.max_command_line_bytes
    int maxDataLineBytes = 1000;                  // smtp.max_data_line_bytes (RFC 5321: 1000)
    int64_t smtpIdleTimeoutMs = 300000;           // smtp.idle_timeout_ms
    int smtpMaxConnections = 100;                 // smtp.max_connections
    int maxAuthFailures = 3;                      // smtp.max_auth_failures per connection
    std::vector<std::string> trustedNetworks;     // smtp.trusted_networks: CIDRs that may send
                                                  // without AUTH (scanners), comma separated
    std::string trustedUser;                      // smtp.trusted_user: their jobs' owner

    // [imap] mailboxes for users' mail clients (received faxes, "Sent Faxes" reports)
    bool imapEnabled = true;                      // imap.enabled
    std::string imapListenAddress = "127.0.0.1";  // imap.listen_address
    int imapPort = 1143;                          // imap.port (STARTTLS with a certificate)
    int imapImplicitTlsPort = 0;                  // imap.implicit_tls_port (like 993); 0 = off
    std::string imapTlsCertificateFile;           // imap.tls_certificate: default smtp's
    std::string imapTlsPrivateKeyFile;            // imap.tls_private_key: default smtp's
    bool imapAllowPlaintextLogin = true;          // imap.allow_plaintext_login
    int64_t imapMaxLiteralBytes = 1024 * 1024;    // imap.max_literal_bytes
    int64_t imapIdleTimeoutMs = 1800000;          // imap.idle_timeout_ms (RFC 3501: >= 30 min)
    int imapMaxConnections = 200;                 // imap.max_connections
    int imapMaxConnectionsPerUser = 10;           // imap.max_connections_per_user

    // [http] node protocol listener (and the admin API)
    std::string httpListenAddress = "127.0.0.1";  // http.listen_address
    int httpPort = 8080;                          // http.port
    int64_t httpMaxRequestBytes = 1024 * 1024;    // http.max_request_bytes
    int64_t httpMaxInboundBytes = 64LL << 20;     // http.max_inbound_bytes: a received fax
    int httpMaxThreads = 16;                      // http.max_threads
    int64_t nodeHeartbeatIntervalMs = 2000;       // http.heartbeat_interval_ms asked of nodes
    int64_t nodeSettingsPushTimeoutMs = 10000;    // http.settings_push_timeout_ms: connect and
                                                  //   answer time-out of a settings push
    std::string httpTlsCertificateFile;           // http.tls_certificate: PEM; set = HTTPS only
    std::string httpTlsPrivateKeyFile;            // http.tls_private_key: PEM

    // [intake] mail to fax pages
    int maxPages = 200;         // intake.max_pages per document
    int maxAttachments = 20;    // intake.max_attachments
    int conversionThreads = 2;  // intake.conversion_threads
    int maxCommitBatch = 128;   // intake.max_commit_batch: mails per commit

    // [scheduler]
    int maxCallsPerDestination = 1;              // scheduler.max_calls_per_destination
    int64_t killTimeMs = 3 * 3600 * 1000;        // scheduler.kill_time_ms (HylaFAX: 3 h)
    int broadcastPriority = 1;                   // scheduler.broadcast_priority (0 = as urgent
                                                 // as a single fax; higher = later)
    int64_t attemptTimeoutMs = 2 * 3600 * 1000;  // scheduler.attempt_timeout_ms

    // [relay] where result mails go out; empty url = keep them in the gateway's mailboxes
    std::string relayUrl;          // relay.url: smtp://host:port or smtps://
    std::string relayUser;         // relay.user
    std::string relayPassword;     // relay.password
    bool relayRequireTls = false;  // relay.require_tls
    std::string reportFrom;        // relay.from: default faxgate@<fax_domain>
    std::string relayHeloName;     // relay.helo_name: EHLO name; default gateway.hostname

    // [outbox] retries of mails that could not leave yet (relay or IMAP APPEND)
    int64_t outboxFirstRetryDelayMs = 60 * 1000;      // outbox.first_retry_delay_ms, doubled
    int64_t outboxMaxRetryDelayMs = 3600 * 1000;      // outbox.max_retry_delay_ms
    int64_t outboxMaxAgeMs = 5LL * 24 * 3600 * 1000;  // outbox.max_age_ms: then given up

    // [inbound] received faxes
    std::string externalDelivery = "smtp";  // inbound.external_delivery: how the copy for a
                                            // user with an external address leaves: "smtp"
                                            // (the relay) or "imap_append" (IMAP APPEND)

    // [imap_append] received faxes appended to users' mailboxes on an external IMAP server
    std::string imapAppendUrl;                // imap_append.url: imap[s]://host:port/Folder
    std::string imapAppendLogin = "{email}";  // imap_append.login: {email}, {user} replaced
    std::string imapAppendPassword;           // imap_append.password (e.g. a master user's)
    std::string imapAppendPasswordFile;       // imap_append.password_file: first line
    bool imapAppendRequireTls = true;         // imap_append.require_tls (STARTTLS on imap://)
    bool imapAppendVerifyCertificate = true;  // imap_append.verify_certificate
    std::string imapAppendCaFile;             // imap_append.ca_file: PEM; empty = system's
    int64_t imapAppendTimeoutMs = 30000;      // imap_append.timeout_ms

    // [reports] what the sender gets back
    bool requeueNotices = false;  // reports.requeue_notices: mail after every
                                  // failed try that will be retried
    bool attachDocument = true;   // reports.attach_document: the sent
                                  // document as PDF in the final report

    std::string configFile;  // the file this was loaded from (set by loadGatewayConfig)

    std::string databasePath() const;
};

// Reads and validates `path`. Throws ConfigError naming the file, key and problem.
GatewayConfig loadGatewayConfig(const std::string& path);

// ---- Settings registered at the admin API (docs/settings.md, scope "gateway") ------------
// A declared set of keys may also be registered at the admin API; a registered value takes
// the place of the file's. docs/configuration.md lists them and when a change takes effect.

// "section.key" -> value, as text the way it would stand in the file.
using ConfigOverrides = std::map<std::string, std::string>;

struct RegistrableKey {
    std::string name;     // "relay.url"
    bool secret = false;  // write-only: never shown, never kept in a settings version
    bool live = false;    // takes effect at the next outbox try; the others at the next start
};

// The keys that may be registered, in the order docs/configuration.md lists them.
const std::vector<RegistrableKey>& registrableGatewayKeys();

// As loadGatewayConfig(path), with `overrides` in place of the file's values of those keys,
// checked by the same code. A key that may not be registered, or a value the file could not
// have, is a ConfigError naming the key (the message says "registered setting" for keys of
// `overrides`).
GatewayConfig loadGatewayConfig(const std::string& path, const ConfigOverrides& overrides);

// The values `config` has for the registrable keys, as text (defaults filled in, secrets
// included: for comparing what is in force with what is registered, never for showing).
ConfigOverrides registrableValues(const GatewayConfig& config);

// The SMTP relay's options from the [relay] keys; gateway.cpp builds the relay with them.
RelayOptions relayOptionsOf(const GatewayConfig& config);

}  // namespace faxgate::gateway
