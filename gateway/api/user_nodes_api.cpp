// The admin API's per-user node table and its versions; see user_nodes_api.h.
#include "gateway/api/user_nodes_api.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "gateway/api/json_http.h"

namespace faxgate::gateway {

namespace {

using Poco::JSON::Object;
using namespace admin;

}  // namespace

bool UserNodesApi::handles(const std::vector<std::string>& path) {
    return path.size() == 1 && path[0] == "user-nodes";
}

Object UserNodesApi::answer() {
    Object answer;
    answer.set("version", latestVersion(context_.store, kUserNodesScope));
    answer.set("entries", userNodesEntries(context_.store.listUsers()));
    return answer;
}

void UserNodesApi::handle(const AdminCall& call) {
    if (call.method == "GET") {
        queryOf(call.request, {});
        sendJson(call.response, 200, answer());
        return;
    }
    if (call.method != "PUT") methodNotAllowed("GET or PUT");
    auto in = call.body();
    rejectUnknownFields(*in, {"version", "entries"});
    registerEntries(call, *in, baseVersionOf(*in), "user-nodes.set", Object(), 200);
}

void UserNodesApi::restore(const AdminCall& call, const SettingsVersion& old) {
    Object extra;
    extra.set("restored_from", old.version);
    registerEntries(call, *parseStoredDocument(old), std::nullopt, "user-nodes.restore", extra,
                    201);
}

void UserNodesApi::registerEntries(const AdminCall& call, const Object& document,
                                   std::optional<int64_t> baseVersion, const std::string& action,
                                   const Object& extraChanges, int status) {
    Store& store = context_.store;
    Object::Ptr entries = document.getObject("entries");
    if (!entries) badRequest("entries: missing, or not an object of user ID: node ID");
    {
        std::lock_guard<std::mutex> lock(context_.locks.users);
        std::vector<User> users = store.listUsers();
        std::map<std::string, std::string> nodeOfUser;
        for (const auto& [user, value] : *entries) {
            const std::string path = "entries." + forLog(user);
            if (!value.isString()) badRequest(path + ": expected a node ID (\"\" for none)");
            const std::string node = value.toString();
            if (std::none_of(users.begin(), users.end(),
                             [&](const User& u) { return u.id == user; })) {
                badRequest(path + ": no user '" + forLog(user) + "'");
            }
            if (!node.empty() && !store.findNode(node)) {
                badRequest(path + ": no node '" + forLog(node) + "'");
            }
            if (!node.empty()) nodeOfUser[user] = node;
        }

        Object changes(extraChanges);
        Object changed;
        for (User& user : users) {
            auto it = nodeOfUser.find(user.id);
            const std::string node = it == nodeOfUser.end() ? std::string() : it->second;
            if (node != user.defaultNode) changed.set(user.id, node);
            user.defaultNode = node;
        }
        changes.set("entries", changed);
        AuditEntry entry = call.audit(action, kUserNodesScope, changes);
        entry.snapshot = SettingsSnapshot{kUserNodesScope, userNodesDocument(users), baseVersion};
        entry.relatedSnapshots.push_back(
            SettingsSnapshot{kUsersScope, usersDocument(users), std::nullopt});
        try {
            store.setUserNodesAudited(nodeOfUser, entry);
        } catch (const SettingsConflict& e) {
            sendConflict(call, "the per-user node table", e.latestVersion());
            return;
        }
    }
    sendJson(call.response, status, answer());
}

}  // namespace faxgate::gateway
