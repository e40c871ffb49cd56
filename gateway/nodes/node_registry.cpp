// Node sessions, heartbeats and job hand-over; see node_registry.h.
#include "gateway/nodes/node_registry.h"

#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <sstream>

namespace faxgate::gateway {

namespace {

Poco::Logger& logger() { return Poco::Logger::get("nodes"); }

std::string randomToken() {
    unsigned char bytes[24];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes");
    static const char* hex = "0123456789abcdef";
    std::string token;
    for (unsigned char b : bytes) {
        token += hex[b >> 4];
        token += hex[b & 15];
    }
    return token;
}

bool sameSecret(const std::string& a, const std::string& b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string base64(const std::string& data) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << data;
    encoder.close();
    return out.str();
}

int idleLines(const std::vector<LineState>& lines) {
    int idle = 0;
    for (const LineState& line : lines) idle += line.state == "idle";
    return idle;
}

struct HttpAnswer {
    int status = 0;
    std::string body;
};

// One request to a node; throws Poco::Exception on connection failure or time-out.
HttpAnswer callNode(const std::string& baseUrl, const std::string& method, const std::string& path,
                    const std::string& session, const std::string& body, int64_t connectTimeoutMs,
                    int64_t requestTimeoutMs) {
    Poco::URI uri(baseUrl);
    Poco::Net::HTTPClientSession client(uri.getHost(), uri.getPort());
    client.setTimeout(Poco::Timespan(connectTimeoutMs * 1000),
                      Poco::Timespan(requestTimeoutMs * 1000),
                      Poco::Timespan(requestTimeoutMs * 1000));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Authorization", "Bearer " + session);
    request.setContentType("application/json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    client.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = client.receiveResponse(response);
    HttpAnswer answer;
    answer.status = response.getStatus();
    Poco::StreamCopier::copyToString(in, answer.body);
    return answer;
}

HttpAnswer callNode(const std::string& baseUrl, const std::string& method, const std::string& path,
                    const std::string& session, const std::string& body,
                    const NodeRegistryOptions& options) {
    return callNode(baseUrl, method, path, session, body, options.connectTimeoutMs,
                    options.requestTimeoutMs);
}

std::optional<Poco::JSON::Object::Ptr> jsonObjectOf(const std::string& body) {
    try {
        Poco::Dynamic::Var parsed = Poco::JSON::Parser().parse(body);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) {
            return parsed.extract<Poco::JSON::Object::Ptr>();
        }
    } catch (const Poco::Exception&) {
    }
    return std::nullopt;
}

std::string errorOf(const std::string& body) {
    try {
        Poco::JSON::Parser parser;
        auto object = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
        return object->optValue<std::string>("error", body);
    } catch (const std::exception&) {
        return body.substr(0, 200);
    }
}

}  // namespace

NodeRegistry::NodeRegistry(Store& store, NodeRegistryOptions options, Clock clock)
    : store_(store), options_(options), clock_(std::move(clock)), settings_(store, clock_) {}

HelloAnswer NodeRegistry::hello(const HelloRequest& request) {
    HelloAnswer answer;
    std::optional<Node> node = store_.findNode(request.nodeId);
    if (!node) {
        answer.httpStatus = 403;
        answer.error = "node '" + request.nodeId + "' is not registered at this gateway";
        logger().warning("hello from unknown node %s (%s)", request.nodeId, request.url);
        return answer;
    }
    // During a secret change the node may still know only the previous one.
    const bool previous =
        !node->previousSecret.empty() && sameSecret(node->previousSecret, request.secret);
    if (!sameSecret(node->secret, request.secret) && !previous) {
        answer.httpStatus = 401;
        answer.error = "wrong shared secret for node '" + request.nodeId + "'";
        logger().warning("hello from node %s with a wrong secret", request.nodeId);
        return answer;
    }
    NodeSession session;
    session.nodeId = request.nodeId;
    session.url = node->url.empty() ? request.url : node->url;
    session.session = randomToken();
    session.bootId = request.bootId;
    session.software = request.software;
    session.lines = request.lines;
    session.lastHeartbeatMs = clock_();
    {
        std::lock_guard lock(mutex_);
        sessions_[request.nodeId] = session;
    }
    logger().information("node %s logged in from %s with %z lines%s", request.nodeId, session.url,
                         request.lines.size(),
                         std::string(previous ? " (with its previous secret)" : ""));
    answer.session = session.session;
    answer.heartbeatIntervalMs = options_.heartbeatIntervalMs;
    NodeSettingsReport report;
    report.appliedVersion = request.settingsVersion;
    if (auto wanted = settings_.onHello(*node, request.address, report, request.settingsJson)) {
        std::optional<Node> current = store_.findNode(request.nodeId);
        answer.settingsVersion = wanted->version;
        answer.settingsJson = NodeSettingsSync::documentForNode(*wanted, current.value_or(*node));
        logger().information("node %s runs settings version %Ld: the hello answer carries %Ld",
                             request.nodeId, request.settingsVersion, wanted->version);
    }
    if (onChange_) onChange_();
    return answer;
}

bool NodeRegistry::heartbeat(const std::string& token, const std::vector<LineState>& lines,
                             const std::optional<NodeSettingsReport>& settings) {
    bool freed = false;
    std::string nodeId;
    {
        std::lock_guard lock(mutex_);
        NodeSession* found = nullptr;
        for (auto& [id, session] : sessions_) {
            if (sameSecret(session.session, token)) found = &session;
        }
        if (!found) return false;
        const int64_t now = clock_();
        // A node that had gone silent is back, or it has more idle lines than we thought.
        freed = !isOnline(*found, now) || idleLines(lines) > idleLines(found->lines);
        found->lines = lines;
        found->lastHeartbeatMs = now;
        nodeId = found->nodeId;
    }
    if (settings) settings_.report(nodeId, *settings);
    if (freed && onChange_) onChange_();
    return true;
}

std::optional<std::string> NodeRegistry::nodeOfSession(const std::string& token) {
    std::lock_guard lock(mutex_);
    for (const auto& [id, session] : sessions_) {
        if (sameSecret(session.session, token)) return id;
    }
    return std::nullopt;
}

std::vector<NodeSession> NodeRegistry::sessions() {
    std::lock_guard lock(mutex_);
    std::vector<NodeSession> result;
    for (const auto& [id, session] : sessions_) result.push_back(session);
    return result;
}

SettingsPushOutcome NodeRegistry::pushSettings(const std::string& nodeId, int64_t version,
                                               const std::string& documentJson) {
    SettingsPushOutcome outcome;
    outcome.appliedVersion = settings_.drift(nodeId).appliedVersion;
    std::optional<NodeSession> session = sessionOf(nodeId);
    if (!session) {
        outcome.error = "node '" + nodeId + "' is not logged in; it gets version " +
                        std::to_string(version) + " at its next hello";
        return outcome;
    }
    // A registration may have just changed where the gateway reaches the node.
    std::optional<Node> node = store_.findNode(nodeId);
    if (node && !node->url.empty() && node->url != session->url) {
        session->url = node->url;
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(nodeId);
        if (it != sessions_.end() && it->second.session == session->session) {
            it->second.url = node->url;
        }
    }
    Poco::JSON::Object request;
    request.set("version", version);
    request.set("settings", Poco::JSON::Parser().parse(documentJson));
    std::ostringstream body;
    request.stringify(body);

    auto forgetSession = [&] {
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(nodeId);
        if (it != sessions_.end() && it->second.session == session->session) sessions_.erase(it);
    };
    HttpAnswer answer;
    try {
        answer = callNode(session->url, "PUT", "/v1/settings", session->session, body.str(),
                          options_.settingsPushTimeoutMs, options_.settingsPushTimeoutMs);
    } catch (const Poco::Exception& e) {
        // Its next heartbeat is refused, so it says hello again and gets the version then.
        forgetSession();
        outcome.error = "node '" + nodeId + "' not reached (" + e.displayText() +
                        "); it gets version " + std::to_string(version) + " at its next hello";
        logger().warning("settings version %Ld for node %s: %s", version, nodeId, outcome.error);
        return outcome;
    }
    std::optional<Poco::JSON::Object::Ptr> object = jsonObjectOf(answer.body);
    auto appliedOf = [&]() -> std::optional<int64_t> {
        if (!object || !(*object)->has("applied_version")) return std::nullopt;
        try {
            return (*object)->getValue<int64_t>("applied_version");
        } catch (const Poco::Exception&) {
            return std::nullopt;
        }
    };
    if (answer.status == 401) {
        forgetSession();
        outcome.error = "node '" + nodeId + "' no longer knows its session; it gets version " +
                        std::to_string(version) + " at its next hello";
        return outcome;
    }
    outcome.pushed = true;
    std::optional<int64_t> applied = appliedOf();
    if (answer.status == 200) {
        outcome.appliedVersion = applied.value_or(version);
        NodeSettingsReport report;
        report.appliedVersion = outcome.appliedVersion;
        settings_.report(nodeId, report);
        logger().information("node %s applied settings version %Ld", nodeId,
                             outcome.appliedVersion);
        return outcome;
    }
    outcome.error = errorOf(answer.body);
    if (outcome.error.empty()) outcome.error = "no reason given";
    if (answer.status == 422) {
        settings_.recordRefusal(nodeId, version, outcome.error);
    } else if (answer.status == 409 && applied) {
        // It already runs a newer version (two registrations crossed).
        outcome.appliedVersion = *applied;
        NodeSettingsReport report;
        report.appliedVersion = *applied;
        settings_.report(nodeId, report);
    } else {
        outcome.error = "node answered " + std::to_string(answer.status) + ": " + outcome.error;
    }
    logger().warning("node %s did not apply settings version %Ld: %s", nodeId, version,
                     outcome.error);
    return outcome;
}

bool NodeRegistry::isOnline(const NodeSession& session, int64_t nowMs) const {
    return nowMs - session.lastHeartbeatMs <= 3 * options_.heartbeatIntervalMs;
}

std::map<std::string, NodeStatus> NodeRegistry::nodeStatuses() {
    std::lock_guard lock(mutex_);
    const int64_t now = clock_();
    std::map<std::string, NodeStatus> statuses;
    for (const auto& [id, session] : sessions_) {
        NodeStatus status;
        status.online = isOnline(session, now);
        status.idleLines = idleLines(session.lines);
        status.totalLines = static_cast<int>(session.lines.size());
        statuses[id] = status;
    }
    return statuses;
}

std::optional<NodeSession> NodeRegistry::sessionOf(const std::string& nodeId) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(nodeId);
    if (it == sessions_.end()) return std::nullopt;
    return it->second;
}

DispatchOutcome NodeRegistry::dispatch(const Node& node, const Job& job, int attempt,
                                       const std::string& tiff) {
    DispatchOutcome outcome;
    std::optional<NodeSession> session = sessionOf(node.id);
    if (!session) {
        outcome.reason = "node is not logged in";
        return outcome;
    }
    Poco::JSON::Object request;
    request.set("job_id", job.id);
    request.set("attempt", attempt);
    request.set("number", job.number);
    request.set("pages", job.pagesTotal);
    request.set("tiff_base64", base64(tiff));
    std::ostringstream body;
    request.stringify(body);

    HttpAnswer answer;
    try {
        answer = callNode(session->url, "PUT", "/v1/jobs/" + std::to_string(job.id),
                          session->session, body.str(), options_);
    } catch (const Poco::Exception& e) {
        outcome.reason = e.displayText();
        std::lock_guard lock(mutex_);
        auto it = sessions_.find(node.id);
        if (it != sessions_.end()) it->second.lastHeartbeatMs = 0;  // offline until it says hello
        return outcome;
    }
    switch (answer.status) {
        case 200:
        case 202: {
            outcome.result = DispatchResult::Accepted;
            try {
                Poco::JSON::Parser parser;
                auto object = parser.parse(answer.body).extract<Poco::JSON::Object::Ptr>();
                outcome.line = object->optValue<std::string>("line", "");
            } catch (const std::exception&) {
            }
            // Count the line as busy until the node's next heartbeat says otherwise.
            std::lock_guard lock(mutex_);
            auto it = sessions_.find(node.id);
            if (it != sessions_.end()) {
                for (LineState& line : it->second.lines) {
                    if (line.id == outcome.line || (outcome.line.empty() && line.state == "idle")) {
                        line.state = "sending";
                        line.jobId = job.id;
                        break;
                    }
                }
            }
            return outcome;
        }
        case 409:
            outcome.result = DispatchResult::Busy;
            outcome.reason = errorOf(answer.body);
            return outcome;
        case 401: {
            // The node does not know our session (it restarted): it will say hello again.
            outcome.reason = "node rejected the session";
            std::lock_guard lock(mutex_);
            sessions_.erase(node.id);
            return outcome;
        }
        default:
            if (answer.status >= 500) {
                outcome.reason =
                    "node answered " + std::to_string(answer.status) + ": " + errorOf(answer.body);
                return outcome;
            }
            outcome.result = DispatchResult::Refused;
            outcome.reason = errorOf(answer.body);
            return outcome;
    }
}

bool NodeRegistry::cancel(const Node& node, int64_t jobId) {
    std::optional<NodeSession> session = sessionOf(node.id);
    if (!session) return false;
    try {
        HttpAnswer answer = callNode(session->url, "DELETE", "/v1/jobs/" + std::to_string(jobId),
                                     session->session, "", options_);
        return answer.status / 100 == 2;
    } catch (const Poco::Exception& e) {
        logger().warning("cancel of job %Ld on node %s failed: %s", jobId, node.id,
                         e.displayText());
        return false;
    }
}

}  // namespace faxgate::gateway
