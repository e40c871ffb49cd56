// The fax node's wiring and start/stop order; see node.h.
#include "faxnode/node.h"

#include <Poco/Logger.h>

#include "faxnode/lines/sim_line.h"

namespace faxgate::node {

FaxNode::FaxNode(NodeConfig config) : config_(std::move(config)) {}

FaxNode::~FaxNode() { stop(); }

int FaxNode::port() const { return server_ ? server_->port() : 0; }

void FaxNode::start() {
    if (started_) return;
    Poco::Logger& log = Poco::Logger::get("faxnode");

    spool_ = std::make_unique<RecordSpool>(config_.spoolDir);

    std::vector<std::unique_ptr<Line>> lines;
    for (const LineConfig& line : config_.lines) {
        SimSettings sim = line.sim;
        // Every line receives: files dropped here ring it (lines/sim_line.h).
        sim.inboxDir = config_.spoolDir + "/inbox/" + line.line.id;
        try {
            lines.push_back(std::make_unique<SimLine>(line.line, sim));
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument("[line." + line.line.id + "] " + e.what());
        }
    }

    // The lines and the API reach the link only through callbacks that run once requests
    // arrive, so the link can be built last, when the bound port (for its URL) is known.
    LineManagerOptions managerOptions;
    managerOptions.nodeId = config_.nodeId;
    lines_ = std::make_unique<LineManager>(managerOptions, std::move(lines), *spool_,
                                           [this] { link_->notifyStateChange(); });

    NodeApiOptions apiOptions;
    apiOptions.nodeId = config_.nodeId;
    api_ = std::make_unique<NodeApi>(apiOptions, *lines_, [this](const std::string& token) {
        return link_->isCurrentSession(token);
    });

    NodeServerOptions serverOptions;
    serverOptions.listenAddress = config_.listenAddress;
    serverOptions.port = config_.port;
    serverOptions.maxRequestBytes = config_.maxRequestBytes;
    server_ = std::make_unique<NodeServer>(serverOptions, *api_);

    GatewayLinkOptions linkOptions;
    linkOptions.gatewayUrl = config_.gatewayUrl;
    linkOptions.nodeId = config_.nodeId;
    linkOptions.secret = config_.gatewaySecret;
    linkOptions.publicUrl = effectivePublicUrl(config_, server_->port());
    linkOptions.software = kNodeSoftware;
    linkOptions.heartbeatIntervalMs = config_.heartbeatIntervalMs;
    linkOptions.retryMaxMs = config_.retryMaxMs;
    link_ =
        std::make_unique<GatewayLink>(linkOptions, *spool_, [this] { return lines_->status(); });

    lines_->startReceiving();  // inbound calls may now reach the link through the callback
    server_->start();
    link_->start();
    started_ = true;
    log.information("node %s listening on %s:%d (public URL %s), %z lines, gateway %s",
                    config_.nodeId, config_.listenAddress, server_->port(), linkOptions.publicUrl,
                    config_.lines.size(), config_.gatewayUrl);
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
