// GET/PUT of a node's central settings and the restore of an old version; see
// node_settings_api.h.
#include "gateway/api/node_settings_api.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <map>

#include "gateway/api/json_http.h"
#include "gateway/api/settings_scope.h"

namespace faxgate::gateway {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using namespace admin;

// How often a registration without a base version is tried again when another registration
// slipped in between reading the latest version and storing the next.
constexpr int kRegisterTries = 3;

// "node:<id>" from a path segment, also percent-encoded ("node%3A<id>").
std::optional<std::string> nodeOfScope(const std::string& segment) {
    for (const char* prefix : {"node:", "node%3A", "node%3a"}) {
        const std::string p(prefix);
        if (segment.size() > p.size() && segment.compare(0, p.size(), p) == 0) {
            return segment.substr(p.size());
        }
    }
    return std::nullopt;
}

// In a 409: "node tokyo-1's settings".
std::string settingsOfNode(const std::string& nodeId) { return "node " + nodeId + "'s settings"; }

// `after` takes a new secret. The node may not have learnt the secret of an earlier,
// unconfirmed change: the one it certainly knows stays accepted until it runs the version that
// carries the new one (NodeSettingsSync ends the change).
void keepPreviousSecret(const Node& before, Node& after) {
    if (after.previousSecret.empty()) after.previousSecret = before.secret;
}

Object retryJson(const settings::RetrySettings& retry) {
    Object o;
    o.set("busy_retry_ms", retry.busyRetryMs);
    o.set("failure_retry_ms", retry.failureRetryMs);
    o.set("max_dials", retry.maxDials);
    o.set("max_connected_tries", retry.maxConnectedTries);
    o.set("kill_time_ms", retry.killTimeMs);
    return o;
}

// Which fields a registration changes against the version before it (none: all of them),
// for the audit log. The secret is handled by the caller (masked).
Object settingsChanges(const std::optional<settings::NodeSettings>& before,
                       const settings::NodeSettings& after) {
    Object changes;
    if (!before || before->url != after.url) changes.set("url", after.url.value_or(""));
    if (!before || before->keepLinesForReceive != after.keepLinesForReceive) {
        changes.set("keep_lines_for_receive", after.keepLinesForReceive.value_or(0));
    }
    if (after.retry && (!before || before->retry != after.retry)) {
        changes.set("retry", retryJson(*after.retry));
    }
    if (!before || before->timeZone != after.timeZone) changes.set("time_zone", after.timeZone);
    std::map<std::string, const settings::LineSettings*> old;
    if (before) {
        for (const settings::LineSettings& line : before->lines) old[line.id] = &line;
    }
    Array added, changed, removed;
    for (const settings::LineSettings& line : after.lines) {
        auto it = old.find(line.id);
        if (it == old.end()) {
            added.add(line.id);
        } else {
            if (!(*it->second == line)) changed.add(line.id);
            old.erase(it);
        }
    }
    for (const auto& [id, line] : old) removed.add(id);
    if (added.size() + changed.size() + removed.size() > 0) {
        Object lines;
        if (added.size() > 0) lines.set("added", added);
        if (changed.size() > 0) lines.set("changed", changed);
        if (removed.size() > 0) lines.set("removed", removed);
        changes.set("lines", lines);
    }
    return changes;
}

}  // namespace

NodeSettingsApi::NodeSettingsApi(Store& store, NodeRegistry& registry)
    : store_(store), registry_(registry) {}

bool NodeSettingsApi::handles(const std::vector<std::string>& path) {
    if (path.size() == 3 && path[0] == "nodes" && path[2] == "settings") return true;
    return path.size() == 5 && path[0] == "settings" && nodeOfScope(path[1]) &&
           path[2] == "versions" && path[4] == "restore";
}

void NodeSettingsApi::handle(const AdminCall& call) {
    const std::vector<std::string>& path = call.path;
    if (path[0] == "settings") {
        if (call.method != "POST") methodNotAllowed("POST");
        restore(call, *nodeOfScope(path[1]), pathId(path[3], "settings version"));
        return;
    }
    std::optional<Node> node = store_.findNode(path[1]);
    if (!node) throw HttpError(404, "no such node: " + path[1].substr(0, kMaxIdBytes));
    if (call.method == "GET") {
        get(call, *node);
    } else if (call.method == "PUT") {
        put(call, *node);
    } else {
        methodNotAllowed("GET or PUT");
    }
}

Object NodeSettingsApi::driftJson(const std::string& nodeId) {
    const NodeSettingsDrift drift = registry_.settings().drift(nodeId);
    Object o;
    o.set("version", drift.version);
    o.set("applied_version", drift.appliedVersion);
    o.set("applied_ms", drift.appliedMs);
    o.set("in_sync", drift.inSync);
    o.set("error", drift.error);
    o.set("error_version", drift.errorVersion);
    return o;
}

void NodeSettingsApi::get(const AdminCall& call, const Node& node) {
    std::optional<DesiredNodeSettings> desired;
    try {
        desired = registry_.settings().desired(node);
    } catch (const settings::SettingsError& e) {
        throw HttpError(500, "the latest settings version of node " + node.id +
                                 " does not validate any more (" + e.what() +
                                 "); register corrected settings with PUT");
    }
    if (!desired) {
        throw HttpError(404, "node " + node.id +
                                 " has no registered settings yet: it registers its own at its "
                                 "first hello, or PUT them");
    }
    Object answer = driftJson(node.id);
    answer.set("settings",
               Poco::JSON::Parser().parse(NodeSettingsSync::storedDocument(desired->document)));
    sendJson(call.response, 200, answer);
}

void NodeSettingsApi::put(const AdminCall& call, const Node& node) {
    Poco::JSON::Object::Ptr body = call.body();
    settings::NodeSettings document;
    try {
        document = settings::parseNodeSettings(stringify(*body));
    } catch (const settings::SettingsError& e) {
        badRequest(e.what());
    }
    if (document.nodeId != node.id) {
        badRequest("node_id: expected '" + node.id + "' (the node in the path), got '" +
                   document.nodeId + "'");
    }
    std::optional<int64_t> base;
    if (document.version > 0) base = document.version;
    registerVersion(call, node.id, document, base, "node.settings", Object());
}

void NodeSettingsApi::restore(const AdminCall& call, const std::string& nodeId, int64_t version) {
    if (!store_.findNode(nodeId)) {
        throw HttpError(404, "no such node: " + nodeId.substr(0, kMaxIdBytes));
    }
    std::optional<SettingsVersion> old =
        store_.findSettingsVersion(nodeSettingsScope(nodeId), version);
    if (!old) {
        throw HttpError(404,
                        "node " + nodeId + " has no settings version " + std::to_string(version));
    }
    settings::NodeSettings document;
    try {
        document = NodeSettingsSync::parseStoredDocument(old->document);
    } catch (const settings::SettingsError& e) {
        throw HttpError(409, "version " + std::to_string(version) + " of node " + nodeId +
                                 "'s settings does not validate any more: " + e.what());
    }
    document.version = 0;
    document.secret.reset();  // versions never hold it: the node keeps the one it has
    Object extra;
    extra.set("restored_from", version);
    registerVersion(call, nodeId, document, std::nullopt, "node.settings.restore", extra);
}

void NodeSettingsApi::registerVersion(const AdminCall& call, const std::string& nodeId,
                                      const settings::NodeSettings& document,
                                      std::optional<int64_t> baseVersion, const std::string& action,
                                      const Object& extraChanges) {
    NodeSettingsSync& sync = registry_.settings();
    const std::string scope = nodeSettingsScope(nodeId);
    int64_t version = 0;
    Node after;
    settings::NodeSettings stored;
    for (int tries = 1;; ++tries) {
        std::lock_guard rowLock(sync.nodeRowMutex());
        std::optional<Node> node = store_.findNode(nodeId);
        if (!node) throw HttpError(404, "no such node: " + nodeId);
        std::optional<SettingsVersion> latest = store_.latestSettings(scope);
        const int64_t latestVersion = latest ? latest->version : 0;
        if (baseVersion && *baseVersion != latestVersion) {
            sendConflict(call, settingsOfNode(nodeId), latestVersion);
            return;
        }
        std::optional<settings::NodeSettings> before;
        try {
            if (auto desired = sync.desired(*node)) before = desired->document;
        } catch (const settings::SettingsError&) {
            // An unreadable old version: every field counts as changed.
        }

        after = *node;
        bool secretChanged = false;
        if (document.url) after.url = *document.url;
        if (document.secret && *document.secret != node->secret) {
            keepPreviousSecret(*node, after);
            after.secret = *document.secret;
            secretChanged = true;
        }
        if (document.keepLinesForReceive) after.keepLinesForReceive = *document.keepLinesForReceive;
        if (document.retry) {
            after.retry.busyRetryMs = document.retry->busyRetryMs;
            after.retry.failureRetryMs = document.retry->failureRetryMs;
            after.retry.maxDials = document.retry->maxDials;
            after.retry.maxConnectedTries = document.retry->maxConnectedTries;
            after.retry.killTimeMs = document.retry->killTimeMs;
        }
        stored = NodeSettingsSync::withLiveFields(document, after);
        stored.version = latestVersion + 1;

        Object changes(extraChanges);
        for (const auto& [name, value] : settingsChanges(before, stored)) changes.set(name, value);
        if (secretChanged) changes.set("secret", kMasked);
        AuditEntry entry = call.audit(action, nodeId, changes);
        entry.snapshot = SettingsSnapshot{scope, NodeSettingsSync::storedDocument(stored),
                                          baseVersion.value_or(latestVersion)};
        try {
            version = store_.updateNodeAudited(after, entry);
        } catch (const SettingsConflict& e) {
            if (baseVersion || tries >= kRegisterTries) {
                sendConflict(call, settingsOfNode(nodeId), e.latestVersion());
                return;
            }
            continue;
        }
        if (secretChanged) sync.noteSecretChange(nodeId, version);
        break;
    }

    const SettingsPushOutcome push = this->push({version, stored, after});
    Object answer;
    answer.set("version", version);
    answer.set("pushed", push.pushed);
    answer.set("applied_version", push.appliedVersion);
    answer.set("push_error", push.error);
    sendJson(call.response, 201, answer);
}

std::optional<NodeSettingsApi::Registered> NodeSettingsApi::storeNodeChange(const Node& before,
                                                                            Node& after,
                                                                            AuditEntry entry) {
    std::optional<DesiredNodeSettings> desired;
    if (after.secret != before.secret) {
        try {
            desired = registry_.settings().desired(before);
        } catch (const settings::SettingsError& e) {
            throw HttpError(409, "the latest settings version of node " + before.id +
                                     " does not validate any more (" + e.what() +
                                     "), so it cannot carry the new secret: register corrected "
                                     "settings with the secret by PUT /api/v1/nodes/" +
                                     before.id + "/settings");
        }
    }
    if (!desired) {
        // No new secret, or a node that never registered settings (it has not said hello):
        // nothing to carry it, so its own configuration must hold the new secret.
        store_.updateNodeAudited(after, entry);
        return std::nullopt;
    }
    keepPreviousSecret(before, after);
    settings::NodeSettings stored = NodeSettingsSync::withLiveFields(desired->document, after);
    stored.version = desired->version + 1;
    if (entry.snapshot) entry.relatedSnapshots.push_back(*entry.snapshot);
    entry.snapshot = SettingsSnapshot{nodeSettingsScope(after.id),
                                      NodeSettingsSync::storedDocument(stored), desired->version};
    const int64_t version = store_.updateNodeAudited(after, entry);
    registry_.settings().noteSecretChange(after.id, version);
    return Registered{version, stored, after};
}

SettingsPushOutcome NodeSettingsApi::push(const Registered& registered) {
    return registry_.pushSettings(registered.node.id, registered.version,
                                  NodeSettingsSync::documentForNode(
                                      {registered.version, registered.document}, registered.node));
}

}  // namespace faxgate::gateway
