// The node's session with its gateway; see gateway_link.h.
#include "faxnode/gateway_link.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/URI.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

namespace faxgate::node {
namespace {

Poco::Logger& logger() { return Poco::Logger::get("faxnode.link"); }

int64_t steadyMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string stringify(const Poco::JSON::Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

// The "error" text of a JSON error answer, else the body itself, shortened for a log line.
std::string errorText(const std::string& body) {
    try {
        Poco::JSON::Parser parser;
        auto object = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
        if (object && object->has("error")) return object->getValue<std::string>("error");
    } catch (const Poco::Exception&) {
    }
    return body.substr(0, 200);
}

std::string base64(const std::string& data) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);  // one JSON string: no line breaks
    encoder << data;
    encoder.close();
    return out.str();
}

// "alice, bob" from the inbound answer's delivered_to, for the log line.
std::string deliveredTo(const std::string& body) {
    try {
        Poco::JSON::Parser parser;
        auto object = parser.parse(body).extract<Poco::JSON::Object::Ptr>();
        auto users = object ? object->getArray("delivered_to") : nullptr;
        if (!users || users->size() == 0) return "delivered to nobody";
        std::string list = "delivered to ";
        for (size_t i = 0; i < users->size() && i < 20; ++i) {
            if (i > 0) list += ", ";
            list += users->getElement<std::string>(static_cast<unsigned>(i));
        }
        if (users->size() > 20) list += ", ...";
        return list;
    } catch (const Poco::Exception&) {
        return "no readable delivered_to";
    }
}

}  // namespace

GatewayLink::GatewayLink(GatewayLinkOptions options, RecordSpool& spool,
                         LineStatusSource lineStatus, SettingsApplier& settings)
    : options_(std::move(options)),
      spool_(spool),
      lineStatus_(std::move(lineStatus)),
      settings_(settings),
      bootId_(Poco::UUIDGenerator::defaultGenerator().createRandom().toString()) {
    Poco::URI uri(options_.gatewayUrl);
    if ((uri.getScheme() != "http" && uri.getScheme() != "https") || uri.getHost().empty()) {
        throw std::invalid_argument("gateway URL must be http[s]://host[:port][/path], got \"" +
                                    options_.gatewayUrl + "\"");
    }
    if (uri.getScheme() == "https") {
        static std::once_flag sslOnce;
        std::call_once(sslOnce, [] { Poco::Net::initializeSSL(); });
        // The system's CAs and the CA file; the chain and the host name are verified, and a
        // certificate that fails is a connection error (retried with back-off, logged).
        tls_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", options_.caFile,
                                      Poco::Net::Context::VERIFY_RELAXED, 9, true);
    }
    host_ = uri.getHost();
    port_ = uri.getPort();
    basePath_ = uri.getPath();
    while (!basePath_.empty() && basePath_.back() == '/') basePath_.pop_back();
}

GatewayLink::~GatewayLink() { stop(); }

void GatewayLink::start() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (thread_.joinable() || stopping_) return;
    thread_ = std::thread(&GatewayLink::run, this);
}

void GatewayLink::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void GatewayLink::notifyStateChange() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stateChanged_ = true;
    }
    wake_.notify_all();
}

bool GatewayLink::isCurrentSession(const std::string& token) const {
    std::lock_guard<std::mutex> lock(sessionMutex_);
    if (session_.empty() || token.size() != session_.size()) return false;
    unsigned char difference = 0;
    for (size_t i = 0; i < token.size(); ++i) {
        difference |= static_cast<unsigned char>(token[i] ^ session_[i]);
    }
    return difference == 0;
}

bool GatewayLink::hasSession() const {
    std::lock_guard<std::mutex> lock(sessionMutex_);
    return !session_.empty();
}

void GatewayLink::setSession(const std::string& token) {
    std::lock_guard<std::mutex> lock(sessionMutex_);
    session_ = token;
}

std::string GatewayLink::session() const {
    std::lock_guard<std::mutex> lock(sessionMutex_);
    return session_;
}

int64_t GatewayLink::nextBackoffMs(int64_t& backoffMs) const {
    backoffMs = std::min(backoffMs == 0 ? options_.retryMinMs : backoffMs * 2, options_.retryMaxMs);
    return backoffMs;
}

GatewayLink::HttpReply GatewayLink::post(const std::string& path, const std::string& body,
                                         bool withSession, int64_t receiveTimeoutMs) {
    HttpReply reply;
    if (receiveTimeoutMs <= 0) receiveTimeoutMs = options_.receiveTimeoutMs;
    try {
        std::unique_ptr<Poco::Net::HTTPClientSession> connection =
            tls_ ? std::make_unique<Poco::Net::HTTPSClientSession>(host_, port_, tls_)
                 : std::make_unique<Poco::Net::HTTPClientSession>(host_, port_);
        Poco::Net::HTTPClientSession& client = *connection;
        client.setTimeout(Poco::Timespan(options_.connectTimeoutMs * 1000),
                          Poco::Timespan(receiveTimeoutMs * 1000),
                          Poco::Timespan(receiveTimeoutMs * 1000));
        Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, basePath_ + path,
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        if (withSession) request.set("Authorization", "Bearer " + session());
        client.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream& in = client.receiveResponse(response);
        std::string answer(options_.maxResponseBytes + 1, '\0');
        in.read(answer.data(), static_cast<std::streamsize>(answer.size()));
        answer.resize(static_cast<size_t>(in.gcount()));
        if (answer.size() > options_.maxResponseBytes) {
            reply.error = "the gateway's answer to " + path + " is longer than " +
                          std::to_string(options_.maxResponseBytes) + " bytes";
            return reply;
        }
        reply.status = static_cast<int>(response.getStatus());
        reply.body = std::move(answer);
        if (reply.status != 200) reply.error = errorText(reply.body);
    } catch (const Poco::Exception& e) {
        reply.error = e.displayText();
    } catch (const std::exception& e) {
        reply.error = e.what();
    }
    return reply;
}

std::string GatewayLink::linesJson(bool forHeartbeat) const {
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("node_id", options_.nodeId);
    int64_t settingsVersion = settings_.appliedVersion();
    if (!forHeartbeat) {
        body.set("secret", settings_.secret());
        body.set("url", options_.publicUrl);
        body.set("boot_id", bootId_);
        body.set("software", options_.software);
        body.set("settings_version", settingsVersion);
        Poco::JSON::Parser parser;  // our own document, valid by construction
        body.set("settings", parser.parse(settings_.documentJson(/*includeSecret=*/false)));
    } else {
        body.set("settings_version", settingsVersion);
        if (!settingsError_.empty() && settingsErrorWhileVersion_ == settingsVersion) {
            body.set("settings_error", settingsError_);
            body.set("settings_error_version", settingsErrorVersion_);
        }
    }
    Poco::JSON::Array::Ptr lines = new Poco::JSON::Array;
    for (const LineStatus& status : lineStatus_()) {
        Poco::JSON::Object::Ptr line = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        line->set("id", status.lineId);
        line->set("state", toString(status.state));
        line->set("calls", status.calls);
        line->set("concurrency", status.concurrency);
        Poco::JSON::Array::Ptr jobIds = new Poco::JSON::Array;
        for (const ChannelStatus& channel : status.channels) {
            if (channel.jobId != 0) jobIds->add(channel.jobId);
        }
        if (jobIds->size() == 1) line->set("job_id", jobIds->getElement<int64_t>(0));
        if (jobIds->size() > 1) line->set("job_ids", jobIds);
        lines->add(line);
    }
    body.set("lines", lines);
    return stringify(body);
}

void GatewayLink::applyHelloSettings(const Poco::Dynamic::Var& pushed) {
    int64_t version = 0;
    SettingsResult result;
    if (pushed.type() != typeid(Poco::JSON::Object::Ptr)) {
        result.outcome = SettingsOutcome::Invalid;
        result.error = "settings: expected {\"version\": n, \"settings\": {...}}";
    } else {
        auto object = pushed.extract<Poco::JSON::Object::Ptr>();
        Poco::Dynamic::Var versionValue = object->get("version");
        Poco::Dynamic::Var document = object->get("settings");
        try {
            if (versionValue.isInteger() && !versionValue.isBoolean()) {
                version = versionValue.convert<int64_t>();
            }
        } catch (const Poco::Exception&) {
        }
        if (version <= 0) {
            result.outcome = SettingsOutcome::Invalid;
            result.error = "version: expected an integer >= 1";
        } else if (document.type() != typeid(Poco::JSON::Object::Ptr)) {
            result.outcome = SettingsOutcome::Invalid;
            result.error = "settings: expected an object";
        } else {
            std::ostringstream text;
            document.extract<Poco::JSON::Object::Ptr>()->stringify(text);
            result = settings_.apply(version, text.str());
        }
    }
    if (result.outcome == SettingsOutcome::Applied) {
        logger().information("settings version %Ld from the hello answer applied", version);
    } else if (result.outcome != SettingsOutcome::AlreadyApplied) {
        logger().error("settings version %Ld from the hello answer refused: %s", version,
                       result.error);
        settingsError_ = result.error;
        settingsErrorVersion_ = version;
        settingsErrorWhileVersion_ = result.appliedVersion;
    }
}

bool GatewayLink::sayHello() {
    HttpReply reply = post("/node/v1/hello", linesJson(/*forHeartbeat=*/false), false);
    std::string problem;
    if (reply.status == 200) {
        try {
            Poco::JSON::Parser parser;
            auto object = parser.parse(reply.body).extract<Poco::JSON::Object::Ptr>();
            std::string token = object ? object->optValue<std::string>("session", "") : "";
            if (token.empty() || token.size() > 1024) {
                problem = "the gateway's hello answer has no usable session";
            } else {
                if (object->has("heartbeat_interval_ms")) {
                    int64_t intervalMs = object->getValue<int64_t>("heartbeat_interval_ms");
                    options_.heartbeatIntervalMs = std::clamp<int64_t>(intervalMs, 100, 600000);
                }
                setSession(token);
                helloBackoffMs_ = 0;
                gatewayReachable_ = true;
                logger().information(
                    "hello to %s: session established (boot %s, heartbeat every %Ld ms)",
                    options_.gatewayUrl, bootId_, options_.heartbeatIntervalMs);
                // Newer settings for us: in use before the first heartbeat reports the lines.
                if (!object->isNull("settings")) applyHelloSettings(object->get("settings"));
                return true;
            }
        } catch (const Poco::Exception& e) {
            problem = "the gateway's hello answer is not valid JSON: " + e.displayText();
        }
    } else if (reply.status == 401 || reply.status == 403) {
        problem = "the gateway refused our hello (" + std::to_string(reply.status) + " " +
                  reply.error + "): check [node] id and [gateway] secret on both sides";
    } else if (reply.status != 0) {
        problem = "hello failed with " + std::to_string(reply.status) + ": " + reply.error;
    } else {
        problem = "gateway unreachable: " + reply.error;
    }
    if (gatewayReachable_ || reply.status == 401 || reply.status == 403) {
        logger().error("hello to %s: %s; retrying with back-off", options_.gatewayUrl, problem);
    } else {
        logger().debug("hello to %s: %s", options_.gatewayUrl, problem);
    }
    gatewayReachable_ = false;
    return false;
}

void GatewayLink::sendHeartbeat() {
    HttpReply reply = post("/node/v1/heartbeat", linesJson(/*forHeartbeat=*/true), true);
    if (reply.status == 200) {
        if (!gatewayReachable_)
            logger().information("gateway %s reachable again", options_.gatewayUrl);
        gatewayReachable_ = true;
        return;
    }
    if (reply.status == 401) {
        logger().warning("gateway %s forgot our session (restarted?): saying hello again",
                         options_.gatewayUrl);
        setSession("");
        return;
    }
    if (gatewayReachable_) {
        logger().error(
            "heartbeat to %s failed: %s", options_.gatewayUrl,
            reply.status != 0 ? std::to_string(reply.status) + " " + reply.error : reply.error);
    }
    gatewayReachable_ = false;
}

bool GatewayLink::postRecords() {
    std::vector<SpooledRecord> records;
    try {
        records = spool_.list(options_.recordsPerPass);
    } catch (const SpoolError& e) {
        logger().error("cannot read the spool: %s", std::string(e.what()));
        return false;
    }
    lastBatchFull_ = records.size() >= options_.recordsPerPass;
    for (const SpooledRecord& record : records) {
        HttpReply reply = post("/node/v1/records", record.json, true);
        try {
            if (reply.status == 200) {
                spool_.remove(record.recordId);
                logger().information("record %s acknowledged by the gateway", record.recordId);
                continue;
            }
            if (reply.status == 400 || reply.status == 413 || reply.status == 422) {
                // Retrying cannot help; keep it aside instead of blocking the spool.
                spool_.reject(record.recordId);
                logger().error("record %s refused by the gateway (%d %s): kept as .rejected",
                               record.recordId, reply.status, reply.error);
                continue;
            }
        } catch (const SpoolError& e) {
            logger().error("record %s: %s", record.recordId, std::string(e.what()));
            return false;
        }
        noteFailedPost("record " + record.recordId, reply);
        return false;
    }
    return true;
}

void GatewayLink::noteFailedPost(const std::string& what, const HttpReply& reply) {
    if (reply.status == 401) {
        logger().warning("gateway %s forgot our session (restarted?): saying hello again",
                         options_.gatewayUrl);
        setSession("");
    } else {
        logger().warning(
            "%s not delivered, will retry: %s", what,
            reply.status != 0 ? std::to_string(reply.status) + " " + reply.error : reply.error);
    }
}

bool GatewayLink::postReceptions() {
    std::vector<SpooledInbound> receptions;
    try {
        receptions = spool_.listInbound(options_.receptionsPerPass);
    } catch (const SpoolError& e) {
        logger().error("cannot read the spool: %s", std::string(e.what()));
        return false;
    }
    lastBatchFull_ = lastBatchFull_ || receptions.size() >= options_.receptionsPerPass;
    for (const SpooledInbound& reception : receptions) {
        try {
            std::string image;
            if (!reception.tiffPath.empty()) {
                std::error_code sizeError;
                auto bytes = std::filesystem::file_size(reception.tiffPath, sizeError);
                if (!sizeError && bytes > static_cast<uintmax_t>(options_.maxInboundImageBytes)) {
                    spool_.rejectInbound(reception.recordId);
                    logger().error(
                        "reception %s: the image has %Lu bytes, more than the %Ld "
                        "this node posts: kept as .rejected",
                        reception.recordId, static_cast<uint64_t>(bytes),
                        options_.maxInboundImageBytes);
                    continue;
                }
                std::ifstream in(reception.tiffPath, std::ios::binary);
                std::ostringstream content;
                content << in.rdbuf();
                if (!in || sizeError) {
                    // Vanished or unreadable: the next pass sees it again (or not at all).
                    logger().error("reception %s: cannot read %s", reception.recordId,
                                   reception.tiffPath);
                    return false;
                }
                image = content.str();
            }
            // The record's JSON text goes in as spooled, never re-encoded.
            std::string body =
                "{\"record\":" + reception.json + ",\"tiff_base64\":\"" + base64(image) + "\"}";
            image.clear();
            HttpReply reply =
                post("/node/v1/inbound", body, true, options_.inboundReceiveTimeoutMs);
            if (reply.status == 200) {
                spool_.removeInbound(reception.recordId);
                logger().information("reception %s acknowledged by the gateway: %s",
                                     reception.recordId, deliveredTo(reply.body));
                continue;
            }
            if (reply.status == 400 || reply.status == 413 || reply.status == 422) {
                spool_.rejectInbound(reception.recordId);
                logger().error("reception %s refused by the gateway (%d %s): kept as .rejected",
                               reception.recordId, reply.status, reply.error);
                continue;
            }
            noteFailedPost("reception " + reception.recordId, reply);
            return false;
        } catch (const SpoolError& e) {
            logger().error("reception %s: %s", reception.recordId, std::string(e.what()));
            return false;
        }
    }
    return true;
}

void GatewayLink::run() {
    int64_t nextHelloMs = 0;
    int64_t nextHeartbeatMs = 0;
    int64_t nextRecordsMs = 0;
    bool heartbeatNow = false;
    bool recordsPending = true;  // the spool may hold records from before a restart
    for (;;) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_) return;
            if (stateChanged_) {
                stateChanged_ = false;
                heartbeatNow = true;
                recordsPending = true;
            }
        }
        int64_t nowMs = steadyMs();
        if (!hasSession() && nowMs >= nextHelloMs) {
            if (sayHello()) {
                heartbeatNow = false;  // the hello carried the line states
                nextHeartbeatMs = steadyMs() + options_.heartbeatIntervalMs;
                recordsPending = true;
                recordBackoffMs_ = 0;
                nextRecordsMs = 0;
            } else {
                nextHelloMs = steadyMs() + nextBackoffMs(helloBackoffMs_);
            }
        }
        if (hasSession() && (heartbeatNow || nowMs >= nextHeartbeatMs)) {
            heartbeatNow = false;
            sendHeartbeat();
            nextHeartbeatMs = steadyMs() + options_.heartbeatIntervalMs;
            recordsPending = true;  // also picks up records whose earlier post was missed
        }
        if (hasSession() && recordsPending && steadyMs() >= nextRecordsMs) {
            // Receptions go on even when a record is stuck, and the other way round.
            bool allPosted = postRecords();
            if (hasSession()) allPosted = postReceptions() && allPosted;
            if (allPosted) {
                recordBackoffMs_ = 0;
                // A full batch means more may be waiting: go on at once.
                recordsPending = lastBatchFull_;
            } else if (hasSession()) {
                nextRecordsMs = steadyMs() + nextBackoffMs(recordBackoffMs_);
            }
        }

        int64_t wakeMs;
        if (!hasSession()) {
            wakeMs = nextHelloMs;
        } else {
            wakeMs = nextHeartbeatMs;
            if (recordsPending) wakeMs = std::min(wakeMs, nextRecordsMs);
        }
        std::unique_lock<std::mutex> lock(mutex_);
        int64_t waitMs = wakeMs - steadyMs();
        if (waitMs > 0) {
            wake_.wait_for(lock, std::chrono::milliseconds(waitMs),
                           [this] { return stopping_ || stateChanged_; });
        }
    }
}

}  // namespace faxgate::node
