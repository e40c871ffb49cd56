// The fax node's wiring and start/stop order; see node.h.
#include "faxnode/node.h"

#include <Poco/Logger.h>

#include <optional>
#include <stdexcept>

#include "faxnode/line_drivers.h"

namespace faxgate::node {

FaxNode::FaxNode(NodeConfig config) : config_(std::move(config)) {}

FaxNode::~FaxNode() { stop(); }

int FaxNode::port() const { return server_ ? server_->port() : 0; }

void FaxNode::start() {
    if (started_) return;
    Poco::Logger& log = Poco::Logger::get("faxnode");

    spool_ = std::make_unique<RecordSpool>(config_.spoolDir);

    // Settings pushed by the gateway win over the INI file's lines, time zone and secret.
    const std::string settingsPath = settingsFilePath(config_.spoolDir);
    PersistedSettings running{0, config_.settings};
    std::string source = "the configuration file";
    if (std::optional<PersistedSettings> saved = loadSettingsFile(settingsPath)) {
        if (saved->settings.nodeId != config_.nodeId) {
            throw settings::SettingsError(settingsPath + ": node_id: this node is \"" +
                                          config_.nodeId + "\", got \"" + saved->settings.nodeId +
                                          "\"");
        }
        running = std::move(*saved);
        source = settingsPath;
        log.information(
            "using central settings version %Ld from %s instead of the configuration file's "
            "lines, time zone and gateway secret",
            running.version, settingsPath);
    }

    // The lines and the API reach the link only through callbacks that run once requests
    // arrive, so the link can be built last, when the bound port (for its URL) is known.
    LineManagerOptions managerOptions;
    managerOptions.nodeId = config_.nodeId;
    const std::string spoolDir = config_.spoolDir;
    lines_ = std::make_unique<LineManager>(
        managerOptions,
        [spoolDir](const settings::LineSettings& line, int channel, const std::string& timeZone) {
            // Every line receives: files dropped in its inbox ring it (lines/sim_line.h).
            return makeLineDriver(line, channel, timeZone, spoolDir);
        },
        *spool_,
        [this] {
            if (link_) link_->notifyStateChange();  // null only while start() builds the lines
        });
    std::string refused = lines_->applySettings(running.settings);
    if (!refused.empty()) throw std::invalid_argument(source + ": " + refused);
    settings_ = std::make_unique<SettingsApplier>(settingsPath, *lines_, running);

    NodeApiOptions apiOptions;
    apiOptions.nodeId = config_.nodeId;
    api_ = std::make_unique<NodeApi>(
        apiOptions, *lines_, *settings_,
        [this](const std::string& token) { return link_->isCurrentSession(token); });

    NodeServerOptions serverOptions;
    serverOptions.listenAddress = config_.listenAddress;
    serverOptions.port = config_.port;
    serverOptions.maxRequestBytes = config_.maxRequestBytes;
    server_ = std::make_unique<NodeServer>(serverOptions, *api_);

    GatewayLinkOptions linkOptions;
    linkOptions.gatewayUrl = config_.gatewayUrl;
    linkOptions.caFile = config_.gatewayCaFile;
    linkOptions.nodeId = config_.nodeId;
    linkOptions.publicUrl = effectivePublicUrl(config_, server_->port());
    linkOptions.software = kNodeSoftware;
    linkOptions.heartbeatIntervalMs = config_.heartbeatIntervalMs;
    linkOptions.retryMaxMs = config_.retryMaxMs;
    link_ = std::make_unique<GatewayLink>(
        linkOptions, *spool_, [this] { return lines_->status(); }, *settings_);

    lines_->startReceiving();  // inbound calls may now reach the link through the callback
    server_->start();
    link_->start();
    started_ = true;
    log.information(
        "node %s listening on %s:%d (public URL %s), %z lines, settings version %Ld, gateway %s",
        config_.nodeId, config_.listenAddress, server_->port(), linkOptions.publicUrl,
        running.settings.lines.size(), running.version, config_.gatewayUrl);
}

void FaxNode::stop() {
    if (!started_ || stopped_) return;
    stopped_ = true;
    Poco::Logger& log = Poco::Logger::get("faxnode");
    log.information("node %s stopping", config_.nodeId);
    server_->stop();                            // no new jobs
    lines_->shutdown(config_.shutdownGraceMs);  // calls end, records spooled
    link_->stop();                              // records not yet posted stay in the spool
    log.information("node %s stopped", config_.nodeId);
}

}  // namespace faxgate::node
