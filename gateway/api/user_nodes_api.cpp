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

UserNodesApi::UserNodesApi(const SettingsContext& context)
    : VersionedScopeApi(
          context,
          {"the per-user node table", "user-nodes.set", "user-nodes.restore", {"entries"}}) {}

bool UserNodesApi::handles(const std::vector<std::string>& path) {
    return path.size() == 1 && path[0] == "user-nodes";
}

Object UserNodesApi::answer() {
    Object answer;
    answer.set("version", latestVersion(context_.store, kUserNodesScope));
    answer.set("entries", userNodesEntries(context_.store.listUsers()));
    return answer;
}

void UserNodesApi::registerDocument(const AdminCall& call, const Object& document,
                                    std::optional<int64_t> baseVersion, const std::string& action,
                                    const Object& extraChanges) {
    Store& store = context_.store;
    Object::Ptr entries = document.getObject("entries");
    if (!entries) badRequest("entries: missing, or not an object of user ID: node ID");
    std::lock_guard<std::mutex> lock(context_.locks.users);
    std::vector<User> users = store.listUsers();
    std::map<std::string, std::string> nodeOfUser;
    for (const auto& entry : *entries) {
        const std::string& user = entry.first;
        const Poco::Dynamic::Var& value = entry.second;
        const std::string path = "entries." + forLog(user);
        if (!value.isString()) badRequest(path + ": expected a node ID (\"\" for none)");
        const std::string node = value.toString();
        if (std::none_of(users.begin(), users.end(), [&](const User& u) { return u.id == user; })) {
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
    store.setUserNodesAudited(nodeOfUser, entry);
}

}  // namespace faxgate::gateway
