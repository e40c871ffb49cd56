// The settings history: versions of every scope, and the restore of an old one; see
// settings_history_api.h.
#include "gateway/api/settings_history_api.h"

#include <Poco/JSON/Array.h>
#include <Poco/URI.h>

#include "gateway/api/gateway_settings_api.h"
#include "gateway/api/json_http.h"
#include "gateway/api/priority_api.h"
#include "gateway/api/routing_api.h"
#include "gateway/api/user_nodes_api.h"

namespace faxgate::gateway {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using namespace admin;

const std::string kNodePrefix = "node:";

bool isNodeScope(const std::string& scope) {
    return scope.size() > kNodePrefix.size() &&
           scope.compare(0, kNodePrefix.size(), kNodePrefix) == 0;
}

std::string decoded(const std::string& segment) {
    std::string text;
    try {
        Poco::URI::decode(segment, text);
    } catch (const Poco::Exception&) {
        throw HttpError(404, "no such settings scope: " + forLog(segment));
    }
    return text;
}

}  // namespace

bool SettingsHistoryApi::handles(const std::vector<std::string>& path) {
    if (path.size() < 3 || path.size() > 5 || path[0] != "settings" || path[2] != "versions") {
        return false;
    }
    if (path.size() < 5) return true;
    // A node's restore is NodeSettingsApi's: it pushes the version to the node.
    return path[4] == "restore" && !isNodeScope(decoded(path[1]));
}

std::string SettingsHistoryApi::scopeOf(const std::string& segment) {
    std::string scope = decoded(segment);
    if (scope == kPriorityScope || scope == kUserNodesScope || scope == kRoutingScope ||
        scope == kGatewayScope || scope == kUsersScope) {
        return scope;
    }
    if (isNodeScope(scope) && context_.store.findNode(scope.substr(kNodePrefix.size()))) {
        return scope;
    }
    throw HttpError(404, "no such settings scope: " + forLog(scope) +
                             " (priority, user-nodes, routing, gateway, users or node:<id> of a "
                             "registered node)");
}

void SettingsHistoryApi::handle(const AdminCall& call) {
    const std::string scope = scopeOf(call.path[1]);
    if (call.path.size() == 3) {
        if (call.method != "GET") methodNotAllowed("GET");
        const Query query = queryOf(call.request, {"limit"});
        const int limit =
            static_cast<int>(queryInt(query, "limit", 1, maxListLimit_, defaultListLimit_));
        Array versions;
        for (const SettingsVersion& version : context_.store.listSettingsVersions(scope, limit)) {
            Object entry;
            entry.set("version", version.version);
            entry.set("time_ms", version.timeMs);
            entry.set("admin", version.adminUser);
            entry.set("address", version.clientAddress);
            entry.set("action", version.action);
            versions.add(entry);
        }
        Object answer;
        answer.set("versions", versions);
        sendJson(call.response, 200, answer);
        return;
    }
    const int64_t version = pathId(call.path[3], "settings version");
    if (call.path.size() == 4) {
        if (call.method != "GET") methodNotAllowed("GET");
        const SettingsVersion found = requireVersion(context_.store, scope, version);
        Object::Ptr document = parseStoredDocument(found);
        if (!document->has("version")) document->set("version", found.version);
        sendJson(call.response, 200, *document);
        return;
    }
    if (call.method != "POST") methodNotAllowed("POST");
    restore(call, scope, version);
}

void SettingsHistoryApi::restore(const AdminCall& call, const std::string& scope, int64_t version) {
    if (scope == kUsersScope) {
        throw HttpError(409,
                        "the users' versions are a history to read: change users one by one "
                        "with PATCH /api/v1/users/{id}");
    }
    const SettingsVersion old = requireVersion(context_.store, scope, version);
    try {
        if (scope == kPriorityScope) {
            PriorityApi(context_).restore(call, old);
        } else if (scope == kUserNodesScope) {
            UserNodesApi(context_).restore(call, old);
        } else if (scope == kRoutingScope) {
            RoutingApi(context_).restore(call, old);
        } else if (scope == kGatewayScope) {
            GatewaySettingsApi(context_).restore(call, old);
        } else {
            throw HttpError(404, "settings scope " + scope + " cannot be restored here");
        }
    } catch (const HttpError& e) {
        // Content that passed when it was registered but not now (a user or node gone, a key
        // gateway.ini no longer allows): the version cannot come back as it is.
        if (e.status() == 400) refuseRestore(old, e.what());
        throw;
    }
}

}  // namespace faxgate::gateway
