// Desired and applied node settings, the hello import and the end of a secret change; see
// node_settings_sync.h.
#include "gateway/nodes/node_settings_sync.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <sstream>

namespace faxgate::gateway {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Object;

Poco::Logger& logger() { return Poco::Logger::get("nodes"); }

std::string stringify(const Object& object) {
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

bool isInteger(const Var& value) { return value.isInteger() && !value.isBoolean(); }

// The gateway's own fields of a stored document, as they were stored: they came from the
// nodes table, whose own checks they passed then.
void readGatewayFields(const Object& root, settings::NodeSettings& document) {
    if (root.has("url") && root.get("url").isString()) {
        document.url = root.getValue<std::string>("url");
    }
    if (root.has("keep_lines_for_receive") && isInteger(root.get("keep_lines_for_receive"))) {
        document.keepLinesForReceive = root.getValue<int>("keep_lines_for_receive");
    }
    Object::Ptr retry = root.getObject("retry");
    if (!retry) return;
    for (const char* field : {"busy_retry_ms", "failure_retry_ms", "max_dials",
                              "max_connected_tries", "kill_time_ms"}) {
        if (!retry->has(field) || !isInteger(retry->get(field))) return;
    }
    settings::RetrySettings read;
    read.busyRetryMs = retry->getValue<int64_t>("busy_retry_ms");
    read.failureRetryMs = retry->getValue<int64_t>("failure_retry_ms");
    read.maxDials = retry->getValue<int>("max_dials");
    read.maxConnectedTries = retry->getValue<int>("max_connected_tries");
    read.killTimeMs = retry->getValue<int64_t>("kill_time_ms");
    document.retry = read;
}

bool sameStatus(const NodeSettingsStatus& a, const NodeSettingsStatus& b) {
    return a.appliedVersion == b.appliedVersion && a.appliedMs == b.appliedMs &&
           a.error == b.error && a.errorVersion == b.errorVersion;
}

}  // namespace

std::string nodeSettingsScope(const std::string& nodeId) { return "node:" + nodeId; }

NodeSettingsSync::NodeSettingsSync(Store& store, Clock clock)
    : store_(store), clock_(std::move(clock)) {}

settings::NodeSettings NodeSettingsSync::parseStoredDocument(const std::string& json) {
    Object::Ptr root;
    try {
        Var parsed = Poco::JSON::Parser().parse(json);
        if (parsed.type() != typeid(Object::Ptr)) {
            throw settings::SettingsError("settings: expected a JSON object");
        }
        root = parsed.extract<Object::Ptr>();
    } catch (const Poco::Exception& e) {
        throw settings::SettingsError("settings: not valid JSON: " + e.displayText());
    }
    // The fields the node applies are checked by the shared code, the gateway's own are
    // taken as stored.
    Object nodePart(*root);
    for (const char* gatewayField :
         {"url", "secret", "secret_set", "keep_lines_for_receive", "retry"}) {
        nodePart.remove(gatewayField);
    }
    settings::NodeSettings document = settings::parseNodeSettings(stringify(nodePart));
    readGatewayFields(*root, document);
    return document;
}

std::string NodeSettingsSync::storedDocument(const settings::NodeSettings& document) {
    return settings::toJson(document, /*includeSecret=*/false);
}

settings::NodeSettings NodeSettingsSync::withLiveFields(settings::NodeSettings document,
                                                        const Node& node) {
    document.url = node.url.empty() ? std::nullopt : std::optional<std::string>(node.url);
    document.keepLinesForReceive = node.keepLinesForReceive;
    settings::RetrySettings retry;
    retry.busyRetryMs = node.retry.busyRetryMs;
    retry.failureRetryMs = node.retry.failureRetryMs;
    retry.maxDials = node.retry.maxDials;
    retry.maxConnectedTries = node.retry.maxConnectedTries;
    retry.killTimeMs = node.retry.killTimeMs;
    document.retry = retry;
    document.secret = node.secret.empty() ? std::nullopt : std::optional<std::string>(node.secret);
    return document;
}

std::string NodeSettingsSync::documentForNode(const DesiredNodeSettings& desired,
                                              const Node& node) {
    settings::NodeSettings document = desired.document;
    document.version = desired.version;
    document.url.reset();
    document.keepLinesForReceive.reset();
    document.retry.reset();
    document.secret.reset();
    if (!node.previousSecret.empty() && !node.secret.empty()) document.secret = node.secret;
    return settings::toJson(document, /*includeSecret=*/true);
}

std::optional<DesiredNodeSettings> NodeSettingsSync::desired(const Node& node) {
    std::optional<SettingsVersion> latest = store_.latestSettings(nodeSettingsScope(node.id));
    if (!latest) return std::nullopt;
    settings::NodeSettings document = parseStoredDocument(latest->document);
    document.version = latest->version;
    return DesiredNodeSettings{latest->version, withLiveFields(std::move(document), node)};
}

std::optional<settings::NodeSettings> NodeSettingsSync::importable(
    const Node& node, const std::string& reportedDocument) {
    settings::NodeSettings document;
    try {
        document = settings::parseNodeSettings(reportedDocument);
    } catch (const settings::SettingsError& e) {
        logger().warning("node %s sent settings that do not validate; not imported: %s", node.id,
                         std::string(e.what()));
        return std::nullopt;
    }
    if (document.nodeId != node.id) {
        logger().warning("node %s sent the settings of node '%s'; not imported", node.id,
                         document.nodeId);
        return std::nullopt;
    }
    return withLiveFields(std::move(document), node);
}

std::optional<DesiredNodeSettings> NodeSettingsSync::onHello(
    const Node& node, const std::string& address, const NodeSettingsReport& report,
    const std::optional<std::string>& reportedDocument) {
    const std::string scope = nodeSettingsScope(node.id);
    if (reportedDocument && !store_.latestSettings(scope)) {
        if (std::optional<settings::NodeSettings> document = importable(node, *reportedDocument)) {
            document->version = 1;
            Object changes;
            changes.set("settings_version", report.appliedVersion);
            changes.set("time_zone", document->timeZone);
            Poco::JSON::Array lines;
            for (const settings::LineSettings& line : document->lines) lines.add(line.id);
            changes.set("lines", lines);
            AuditEntry entry;
            entry.timeMs = clock_();
            entry.adminUser = "node:" + node.id;
            entry.clientAddress = address;
            entry.action = "node.import";
            entry.target = node.id;
            entry.changes = stringify(changes);
            entry.snapshot = SettingsSnapshot{scope, storedDocument(*document), 0};
            try {
                store_.addAuditEntry(entry);
                logger().information("node %s: its own settings registered as version 1 (%z lines)",
                                     node.id, document->lines.size());
            } catch (const SettingsConflict&) {
                // Registered meanwhile (an administrator or a second hello): that one stands.
            }
        }
    }
    this->report(node.id, report);
    endSecretChangeIfApplied(node.id, report.appliedVersion);  // also after a gateway restart

    std::optional<DesiredNodeSettings> wanted;
    try {
        wanted = desired(node);
    } catch (const settings::SettingsError& e) {
        logger().error("node %s: the latest settings version cannot be read: %s", node.id,
                       std::string(e.what()));
        return std::nullopt;
    }
    if (!wanted || wanted->version == report.appliedVersion) return std::nullopt;
    return wanted;
}

std::optional<NodeSettingsStatus>& NodeSettingsSync::statusOf(const std::string& nodeId) {
    auto it = statuses_.find(nodeId);
    if (it == statuses_.end()) {
        it = statuses_.emplace(nodeId, store_.findNodeSettingsStatus(nodeId)).first;
    }
    return it->second;
}

void NodeSettingsSync::writeStatus(const NodeSettingsStatus& next) {
    std::optional<NodeSettingsStatus>& current = statusOf(next.nodeId);
    if (current && sameStatus(*current, next)) return;
    store_.recordNodeSettingsStatus(next);
    current = next;
}

void NodeSettingsSync::report(const std::string& nodeId, const NodeSettingsReport& report) {
    bool appliedChanged = false;
    {
        std::lock_guard lock(mutex_);
        const std::optional<NodeSettingsStatus> current = statusOf(nodeId);
        NodeSettingsStatus next;
        next.nodeId = nodeId;
        next.appliedVersion = report.appliedVersion;
        appliedChanged = !current || current->appliedVersion != report.appliedVersion;
        next.appliedMs = appliedChanged ? clock_() : current->appliedMs;
        if (!report.error.empty()) {
            next.error = report.error;
            next.errorVersion = report.errorVersion;
        } else if (current && !current->error.empty() &&
                   current->errorVersion > report.appliedVersion) {
            // A refusal of a newer version stays until the node applies it or another one.
            next.error = current->error;
            next.errorVersion = current->errorVersion;
        }
        if (appliedChanged) {
            logger().information("node %s runs settings version %Ld", nodeId,
                                 report.appliedVersion);
        }
        writeStatus(next);
    }
    if (appliedChanged) endSecretChangeIfApplied(nodeId, report.appliedVersion);
}

void NodeSettingsSync::recordRefusal(const std::string& nodeId, int64_t version,
                                     const std::string& error) {
    std::lock_guard lock(mutex_);
    NodeSettingsStatus next = statusOf(nodeId).value_or(NodeSettingsStatus{});
    next.nodeId = nodeId;
    next.error = error;
    next.errorVersion = version;
    writeStatus(next);
}

void NodeSettingsSync::noteSecretChange(const std::string& nodeId, int64_t version) {
    std::lock_guard lock(mutex_);
    secretVersions_[nodeId] = version;
}

void NodeSettingsSync::endSecretChangeIfApplied(const std::string& nodeId, int64_t appliedVersion) {
    if (appliedVersion <= 0) return;
    std::lock_guard rowLock(nodeRowMutex_);
    std::optional<Node> node = store_.findNode(nodeId);
    if (!node || node->previousSecret.empty()) return;
    int64_t carried = 0;
    {
        std::lock_guard lock(mutex_);
        auto it = secretVersions_.find(nodeId);
        if (it != secretVersions_.end()) carried = it->second;
    }
    if (carried == 0) {
        std::optional<SettingsVersion> latest = store_.latestSettings(nodeSettingsScope(nodeId));
        if (!latest) return;
        carried = latest->version;
    }
    if (appliedVersion < carried) return;
    node->previousSecret.clear();
    store_.upsertNode(*node);
    {
        std::lock_guard lock(mutex_);
        secretVersions_.erase(nodeId);
    }
    logger().information(
        "node %s runs settings version %Ld with its new secret: the previous "
        "secret is no longer accepted",
        nodeId, appliedVersion);
}

NodeSettingsDrift NodeSettingsSync::drift(const std::string& nodeId) {
    NodeSettingsDrift drift;
    std::optional<SettingsVersion> latest = store_.latestSettings(nodeSettingsScope(nodeId));
    drift.version = latest ? latest->version : 0;
    {
        std::lock_guard lock(mutex_);
        const std::optional<NodeSettingsStatus>& status = statusOf(nodeId);
        if (status) {
            drift.appliedVersion = status->appliedVersion;
            drift.appliedMs = status->appliedMs;
            if (!status->error.empty() && status->errorVersion > status->appliedVersion) {
                drift.error = status->error;
                drift.errorVersion = status->errorVersion;
            }
        }
    }
    drift.inSync = drift.version == drift.appliedVersion;
    return drift;
}

}  // namespace faxgate::gateway
