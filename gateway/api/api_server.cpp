// Routing and the node-protocol handlers; see api_server.h.
#include "gateway/api/api_server.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>

#include <functional>
#include <sstream>

#include "common/tls_server.h"
#include "gateway/api/admin_api.h"
#include "gateway/api/inbound_api.h"
#include "gateway/api/json_http.h"

namespace faxgate::gateway {

namespace {

Poco::Logger& logger() { return Poco::Logger::get("api"); }

using Handler = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;

// Runs one handler and turns every failure into a JSON answer.
class GuardedHandler : public Poco::Net::HTTPRequestHandler {
  public:
    explicit GuardedHandler(Handler handler) : handler_(std::move(handler)) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        try {
            handler_(request, response);
        } catch (const HttpError& e) {
            sendError(response, e.status(), e.what());
        } catch (const std::exception& e) {
            logger().error("%s %s failed: %s", request.getMethod(), request.getURI(),
                           std::string(e.what()));
            sendError(response, 500, "internal error; the gateway's log has the details");
        }
    }

  private:
    Handler handler_;
};

std::vector<LineState> parseLines(const Poco::JSON::Object& object) {
    std::vector<LineState> lines;
    Poco::JSON::Array::Ptr array = object.getArray("lines");
    if (!array) throw HttpError(400, "field 'lines' is missing or not an array");
    for (size_t i = 0; i < array->size(); ++i) {
        Poco::JSON::Object::Ptr entry = array->getObject(static_cast<unsigned>(i));
        if (!entry) throw HttpError(400, "every entry of 'lines' must be an object");
        LineState line;
        line.id = requireString(*entry, "id");
        line.state = requireString(*entry, "state");
        if (line.state != "idle" && line.state != "sending" && line.state != "receiving" &&
            line.state != "down") {
            throw HttpError(400,
                            "line '" + line.id + "' has an unknown state '" + line.state + "'");
        }
        line.jobId = optionalInt(*entry, "job_id");
        lines.push_back(line);
    }
    return lines;
}

CommunicationRecord parseRecord(const Poco::JSON::Object& object) {
    static const std::vector<std::string> results = {
        "ok", "busy", "no_answer", "no_carrier", "failed", "rejected", "cancelled"};
    CommunicationRecord record;
    record.recordId = requireString(object, "record_id");
    record.direction = requireString(object, "direction");
    if (record.direction != "send" && record.direction != "receive") {
        throw HttpError(400, "field 'direction' must be 'send' or 'receive'");
    }
    record.jobId = optionalInt(object, "job_id");
    record.attempt = static_cast<int>(optionalInt(object, "attempt"));
    record.nodeId = requireString(object, "node_id");
    record.line = optionalString(object, "line");
    record.number = optionalString(object, "number");
    record.remoteCsid = optionalString(object, "remote_csid");
    record.pages = static_cast<int>(optionalInt(object, "pages"));
    record.pagesTotal = static_cast<int>(optionalInt(object, "pages_total"));
    record.durationMs = optionalInt(object, "duration_ms");
    record.bitRate = static_cast<int>(optionalInt(object, "bit_rate"));
    record.ecm = optionalBool(object, "ecm");
    record.result = requireString(object, "result");
    if (std::find(results.begin(), results.end(), record.result) == results.end()) {
        throw HttpError(400, "field 'result' has an unknown value '" + record.result + "'");
    }
    record.reason = optionalString(object, "reason");
    record.startedMs = optionalInt(object, "started_ms");
    record.endedMs = optionalInt(object, "ended_ms");
    if (record.pages < 0 || record.pagesTotal < 0 || record.durationMs < 0) {
        throw HttpError(400, "page counts and durations cannot be negative");
    }
    if (record.direction == "send" && (record.jobId <= 0 || record.attempt <= 0)) {
        throw HttpError(400, "a send record needs 'job_id' and 'attempt'");
    }
    return record;
}

class Router : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    Router(const ApiServerOptions& options, Store& store, NodeRegistry& registry,
           Scheduler& scheduler, InboundDelivery* inbound, GatewaySettingsHost* gatewaySettings)
        : options_(options),
          registry_(registry),
          scheduler_(scheduler),
          admin_(adminOptions(options, gatewaySettings), store, registry, scheduler),
          inbound_(inbound ? std::make_unique<InboundApi>(*inbound) : nullptr) {}

    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest& request) override {
        const std::string path = request.getURI().substr(0, request.getURI().find('?'));
        const std::string& method = request.getMethod();
        if (path == "/node/v1/hello")
            return post(method, [this](auto& q, auto& s) { hello(q, s); });
        if (path == "/node/v1/heartbeat")
            return post(method, [this](auto& q, auto& s) { heartbeat(q, s); });
        if (path == "/node/v1/records")
            return post(method, [this](auto& q, auto& s) { records(q, s); });
        if (path == "/node/v1/inbound")
            return post(method, [this](auto& q, auto& s) { inbound(q, s); });
        if (path.rfind("/api/v1/", 0) == 0) {
            return new GuardedHandler([this](auto& q, auto& s) { admin_.handle(q, s); });
        }
        if (path == "/v1/health") {
            return new GuardedHandler([](auto&, auto& response) {
                Poco::JSON::Object body;
                body.set("status", "ok");
                sendJson(response, 200, body);
            });
        }
        return new GuardedHandler(
            [path](auto&, auto&) -> void { throw HttpError(404, "no such resource: " + path); });
    }

  private:
    static AdminApiOptions adminOptions(const ApiServerOptions& options,
                                        GatewaySettingsHost* gatewaySettings) {
        AdminApiOptions admin;
        admin.maxRequestBytes = options.maxRequestBytes;
        admin.gatewaySettings = gatewaySettings;
        return admin;
    }

    Poco::Net::HTTPRequestHandler* post(const std::string& method, Handler handler) {
        if (method != "POST") {
            return new GuardedHandler(
                [](auto&, auto&) -> void { throw HttpError(405, "this resource takes POST"); });
        }
        return new GuardedHandler(std::move(handler));
    }

    std::string authenticatedNode(const Poco::Net::HTTPServerRequest& request) {
        auto node = registry_.nodeOfSession(bearerToken(request));
        if (!node) throw HttpError(401, "no valid node session: say hello first");
        return *node;
    }

    void hello(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
        auto body = readJsonObject(request, options_.maxRequestBytes);
        HelloRequest hello;
        hello.nodeId = requireString(*body, "node_id");
        hello.secret = requireString(*body, "secret");
        hello.url = optionalString(*body, "url");
        hello.bootId = optionalString(*body, "boot_id");
        hello.software = optionalString(*body, "software");
        hello.lines = parseLines(*body);
        hello.address = request.clientAddress().host().toString();
        hello.settingsVersion = optionalInt(*body, "settings_version");
        if (hello.settingsVersion < 0) throw HttpError(400, "field 'settings_version' is negative");
        if (body->has("settings") && !body->isNull("settings")) {
            // Imported when the gateway has no version yet; one that is not an object is
            // logged and left out, as one that does not validate.
            if (Poco::JSON::Object::Ptr settings = body->getObject("settings")) {
                std::ostringstream text;
                settings->stringify(text);
                hello.settingsJson = text.str();
            } else {
                logger().warning("hello from node %s: field 'settings' is not an object; ignored",
                                 hello.nodeId);
            }
        }
        HelloAnswer answer = registry_.hello(hello);
        if (answer.httpStatus != 200) throw HttpError(answer.httpStatus, answer.error);
        Poco::JSON::Object result;
        result.set("session", answer.session);
        result.set("heartbeat_interval_ms", answer.heartbeatIntervalMs);
        if (answer.settingsVersion > 0) {
            Poco::JSON::Object settings;
            settings.set("version", answer.settingsVersion);
            settings.set("settings", Poco::JSON::Parser().parse(answer.settingsJson));
            result.set("settings", settings);
        }
        sendJson(response, 200, result);
    }

    void heartbeat(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
        auto body = readJsonObject(request, options_.maxRequestBytes);
        std::optional<NodeSettingsReport> settings;
        if (body->has("settings_version")) {
            settings.emplace();
            settings->appliedVersion = requireInt(*body, "settings_version");
            settings->error = optionalString(*body, "settings_error");
            settings->errorVersion = optionalInt(*body, "settings_error_version");
            if (settings->appliedVersion < 0 || settings->errorVersion < 0) {
                throw HttpError(400, "settings versions cannot be negative");
            }
        }
        if (!registry_.heartbeat(bearerToken(request), parseLines(*body), settings)) {
            throw HttpError(401, "no valid node session: say hello first");
        }
        sendJson(response, 200, Poco::JSON::Object());
    }

    void records(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
        const std::string nodeId = authenticatedNode(request);
        auto body = readJsonObject(request, options_.maxRequestBytes);
        CommunicationRecord record = parseRecord(*body);
        if (record.nodeId != nodeId) {
            throw HttpError(
                403, "node '" + nodeId + "' cannot post records of node '" + record.nodeId + "'");
        }
        RecordDisposition disposition = scheduler_.recordReceived(record);
        Poco::JSON::Object result;
        result.set("disposition", disposition == RecordDisposition::Applied     ? "applied"
                                  : disposition == RecordDisposition::Duplicate ? "duplicate"
                                                                                : "unmatched");
        sendJson(response, 200, result);
    }

    void inbound(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
        const std::string nodeId = authenticatedNode(request);
        if (!inbound_) throw HttpError(503, "this gateway does not accept received faxes");
        auto body = readJsonObject(request, options_.maxInboundBytes);
        sendJson(response, 200, inbound_->handle(nodeId, *body));
    }

    const ApiServerOptions options_;
    NodeRegistry& registry_;
    Scheduler& scheduler_;
    AdminApi admin_;
    std::unique_ptr<InboundApi> inbound_;  // null: received faxes are refused (503)
};

}  // namespace

ApiServer::ApiServer(const ApiServerOptions& options, Store& store, NodeRegistry& registry,
                     Scheduler& scheduler, InboundDelivery* inbound,
                     GatewaySettingsHost* gatewaySettings) {
    const Poco::Net::SocketAddress address(options.listenAddress, options.port);
    Poco::Net::ServerSocket socket;
    if (!options.tlsCertificateFile.empty()) {
        tlsContext_ =
            loadTlsServerContext("http", options.tlsCertificateFile, options.tlsPrivateKeyFile);
        try {
            // The TLS handshake happens on the worker thread, at the connection's first read.
            socket = Poco::Net::SecureServerSocket(address, 64, tlsContext_);
        } catch (...) {
            releaseTlsServerContext(tlsContext_);
            throw;
        }
    } else {
        socket = Poco::Net::ServerSocket(address);
    }
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(options.maxThreads);
    params->setMaxQueued(options.maxQueuedConnections);
    params->setTimeout(Poco::Timespan(options.timeoutMs * 1000));
    params->setKeepAlive(true);
    server_ = std::make_unique<Poco::Net::HTTPServer>(
        new Router(options, store, registry, scheduler, inbound, gatewaySettings), socket, params);
}

ApiServer::~ApiServer() {
    stop();
    server_.reset();
    releaseTlsServerContext(tlsContext_);
}

void ApiServer::start() { server_->start(); }

void ApiServer::stop() {
    if (server_) server_->stopAll(true);
}

uint16_t ApiServer::port() const { return server_->port(); }

}  // namespace faxgate::gateway
