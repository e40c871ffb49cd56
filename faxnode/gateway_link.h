// The node's side of the session with its gateway (docs/node-protocol.md): one thread that
//   - says hello (POST /node/v1/hello) with the node ID, secret, URL, lines and a boot ID
//     that is new at every process start, so the gateway can tell a restart, and the
//     settings in use (version and document without the secret, docs/settings.md); a hello
//     answer that carries newer settings has them applied (SettingsApplier) before the first
//     heartbeat, and a refusal is reported in the heartbeats until a later version applies;
//   - sends a heartbeat every interval (the gateway's hello answer sets it) and at once
//     whenever a line changes state, which is what lets the gateway dispatch on events;
//   - says hello again when the gateway answers 401 (it forgot the session: restarted);
//   - posts the spooled communication records oldest first and deletes each only after the
//     gateway answered 200, backing off (doubling, capped at retry_max_ms) while it is down;
//   - posts the spooled receptions (record + image, POST /node/v1/inbound) the same way:
//     both are deleted only after the gateway's 200, set aside as .rejected on 400/413/422.
// The spool is on disk, so records and receptions left from before a restart are posted
// after it.
// The session token it holds is also what the node's own API accepts (node_server.h).
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/Net/Context.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "faxnode/line_manager.h"
#include "faxnode/record_spool.h"
#include "faxnode/settings_applier.h"

namespace faxgate::node {

struct GatewayLinkOptions {
    std::string gatewayUrl = "http://127.0.0.1:8080";  // base URL, http:// or https://
    std::string caFile;     // https: PEM certificates trusted besides the system's; empty = those
    std::string nodeId;     // our node ID (the secret for hello is
                            //   the settings' in use)
    std::string publicUrl;  // where the gateway reaches our API
    std::string software = "faxgate-node 0.1.0";  // reported in hello
    int64_t heartbeatIntervalMs = 2000;           // until the gateway's answer says otherwise
    int64_t retryMinMs = 250;                     // first back-off after a failure
    int64_t retryMaxMs = 30000;                   // back-off cap
    int64_t connectTimeoutMs = 2000;              // TCP connect to the gateway
    int64_t receiveTimeoutMs = 10000;             // waiting for the gateway's answer
    size_t maxResponseBytes = 64 * 1024;          // longer answers are an error
    size_t recordsPerPass = 100;                  // records read from the spool at once
    size_t receptionsPerPass = 10;                // receptions read from the spool at once
    int64_t inboundReceiveTimeoutMs = 120000;     // waiting for /node/v1/inbound's answer (the
                                                  //   gateway delivers to mailboxes first)
    int64_t maxInboundImageBytes = 48LL * 1024 * 1024;  // larger received images are set aside
                                                        //   as .rejected (never postable)
};

// Thread-safety: start()/stop() from the owner's thread; notifyStateChange(),
// isCurrentSession() and hasSession() from any thread. The session token is guarded by
// sessionMutex_, the wake-up flags by mutex_.
class GatewayLink {
  public:
    using LineStatusSource = std::function<std::vector<LineStatus>()>;

    GatewayLink(GatewayLinkOptions options, RecordSpool& spool, LineStatusSource lineStatus,
                SettingsApplier& settings);
    ~GatewayLink();

    GatewayLink(const GatewayLink&) = delete;
    GatewayLink& operator=(const GatewayLink&) = delete;

    void start();
    // Stops the thread; an HTTP request in flight ends within the timeouts. Idempotent.
    void stop();

    // A line changed state (or a record was spooled): heartbeat and post records now.
    void notifyStateChange();

    // True if `token` is the session the gateway gave us in the current hello. Always false
    // before the first hello succeeded. Constant time in the token's content.
    bool isCurrentSession(const std::string& token) const;
    bool hasSession() const;

    const std::string& bootId() const { return bootId_; }

  private:
    struct HttpReply {
        int status = 0;  // 0: no answer (connection refused, timeout, ...)
        std::string body;
        std::string error;  // why there was no answer, or the gateway's "error" text
    };

    void run();
    HttpReply post(const std::string& path, const std::string& body, bool withSession,
                   int64_t receiveTimeoutMs = 0);  // 0: options_.receiveTimeoutMs
    bool sayHello();
    void sendHeartbeat();
    // Returns true if every record read was dealt with and none is left waiting.
    bool postRecords();
    // The same for receptions.
    bool postReceptions();
    // Logs a failed post of `what` and forgets the session on 401.
    void noteFailedPost(const std::string& what, const HttpReply& reply);
    std::string linesJson(bool forHeartbeat) const;
    // Applies the "settings" of a hello answer ({"version": n, "settings": {...}}).
    void applyHelloSettings(const Poco::Dynamic::Var& pushed);
    void setSession(const std::string& token);
    std::string session() const;
    int64_t nextBackoffMs(int64_t& backoffMs) const;

    GatewayLinkOptions options_;
    RecordSpool& spool_;
    const LineStatusSource lineStatus_;
    SettingsApplier& settings_;
    const std::string bootId_;
    std::string host_;
    uint16_t port_ = 0;
    Poco::Net::Context::Ptr tls_;  // set for an https:// gateway
    std::string basePath_;

    mutable std::mutex sessionMutex_;
    std::string session_;  // REQUIRES sessionMutex_

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;      // REQUIRES mutex_
    bool stateChanged_ = false;  // REQUIRES mutex_
    std::thread thread_;

    // Used only on the link's thread.
    int64_t helloBackoffMs_ = 0;
    int64_t recordBackoffMs_ = 0;
    bool lastBatchFull_ = false;    // the last spool listing hit recordsPerPass
    bool gatewayReachable_ = true;  // to log a failure streak once, not at every retry
    // Why the version pushed in the last hello answer was refused: reported in heartbeats
    // until another version is applied.
    std::string settingsError_;
    int64_t settingsErrorVersion_ = 0;       // the refused version
    int64_t settingsErrorWhileVersion_ = 0;  // the version in use when it was refused
};

}  // namespace faxgate::node
