// The admin API's users and their "users" / "user-nodes" versions; see users_api.h.
#include "gateway/api/users_api.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <mutex>

#include "gateway/api/json_http.h"
#include "gateway/store/password_hash.h"

namespace faxgate::gateway {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using namespace admin;

void checkResolution(const std::string& resolution) {
    if (resolution != "fine" && resolution != "normal") {
        badRequest("field 'resolution' must be 'fine' or 'normal'");
    }
}

void checkAttachmentFormat(const std::string& format) {
    if (!isAttachmentFormat(format)) {
        badRequest("field 'attachment_format' must be 'pdf', 'tiff' or 'both'");
    }
}

Role requireRole(const Object& in) {
    auto role = roleFromString(requireString(in, "role"));
    if (!role) badRequest("field 'role' must be 'user' or 'admin'");
    return *role;
}

// The user list after `changed` is stored (added or replacing the user with its ID).
std::vector<User> usersAfter(std::vector<User> users, const User& changed) {
    auto it =
        std::find_if(users.begin(), users.end(), [&](const User& u) { return u.id == changed.id; });
    if (it == users.end()) {
        users.push_back(changed);
    } else {
        *it = changed;
    }
    return users;
}

// The versions a user change writes: "users" always, "user-nodes" when a default node changed.
void addSnapshots(AuditEntry& entry, const std::vector<User>& after, bool defaultNodeChanged) {
    entry.snapshot = SettingsSnapshot{kUsersScope, usersDocument(after), std::nullopt};
    if (defaultNodeChanged) {
        entry.relatedSnapshots.push_back(
            SettingsSnapshot{kUserNodesScope, userNodesDocument(after), std::nullopt});
    }
}

}  // namespace

bool UsersApi::handles(const std::vector<std::string>& path) {
    return !path.empty() && path[0] == "users" && path.size() <= 2;
}

void UsersApi::handle(const AdminCall& call) {
    Store& store = context_.store;
    if (call.path.size() == 1) {
        if (call.method == "POST") {
            add(call);
            return;
        }
        if (call.method != "GET") methodNotAllowed("GET or POST");
        queryOf(call.request, {});
        Array users;
        for (const User& user : store.listUsers()) users.add(userJson(user));
        Object answer;
        answer.set("users", users);
        sendJson(call.response, 200, answer);
        return;
    }
    if (call.method == "PATCH") {
        change(call, call.path[1]);
        return;
    }
    if (call.method != "GET") methodNotAllowed("GET or PATCH");
    std::optional<User> user = store.findUser(call.path[1]);
    if (!user) throw HttpError(404, "no such user: " + forLog(call.path[1]));
    sendJson(call.response, 200, userJson(*user));
}

void UsersApi::add(const AdminCall& call) {
    Store& store = context_.store;
    auto in = call.body();
    rejectUnknownFields(*in, {"id", "password", "role", "email", "default_node", "resolution",
                              "cover_page", "attachment_format"});
    User user;
    user.id = requireString(*in, "id");
    checkId("id", user.id);
    const std::string password = requireString(*in, "password");
    checkPasswordText(password);
    if (in->has("role")) user.role = requireRole(*in);
    if (in->has("email")) user.email = requireString(*in, "email");
    checkEmail(user.email);
    if (in->has("default_node")) user.defaultNode = requireString(*in, "default_node");
    if (!user.defaultNode.empty() && !store.findNode(user.defaultNode)) {
        badRequest("field 'default_node': no node '" + forLog(user.defaultNode) + "'");
    }
    if (in->has("resolution")) user.resolution = requireString(*in, "resolution");
    checkResolution(user.resolution);
    if (in->has("cover_page")) user.coverPage = requireBool(*in, "cover_page");
    if (in->has("attachment_format")) {
        user.attachmentFormat = requireString(*in, "attachment_format");
    }
    checkAttachmentFormat(user.attachmentFormat);
    user.passwordHash = hashPassword(password);

    std::lock_guard<std::mutex> lock(context_.locks.users);
    if (store.findUser(user.id)) throw HttpError(409, "user '" + user.id + "' exists");
    Object changes = userJson(user);
    changes.remove("id");
    changes.set("password", kMasked);
    AuditEntry entry = call.audit("user.add", user.id, changes);
    addSnapshots(entry, usersAfter(store.listUsers(), user), !user.defaultNode.empty());
    store.addUserAudited(user, entry);
    sendJson(call.response, 201, userJson(user));
}

void UsersApi::change(const AdminCall& call, const std::string& id) {
    Store& store = context_.store;
    if (!store.findUser(id)) throw HttpError(404, "no such user: " + forLog(id));
    auto in = call.body();
    rejectUnknownFields(*in, {"password", "role", "email", "default_node", "resolution",
                              "cover_page", "attachment_format"});
    std::lock_guard<std::mutex> lock(context_.locks.users);
    std::optional<User> user = store.findUser(id);
    if (!user) throw HttpError(404, "no such user: " + forLog(id));
    const User before = *user;
    Object changes;
    if (in->has("password")) {
        const std::string password = requireString(*in, "password");
        checkPasswordText(password);
        user->passwordHash = hashPassword(password);
        changes.set("password", kMasked);
    }
    if (in->has("role")) user->role = requireRole(*in);
    if (in->has("email")) {
        user->email = requireString(*in, "email");
        checkEmail(user->email);
    }
    if (in->has("default_node")) {
        user->defaultNode = requireString(*in, "default_node");
        if (!user->defaultNode.empty() && !store.findNode(user->defaultNode)) {
            badRequest("field 'default_node': no node '" + forLog(user->defaultNode) + "'");
        }
    }
    if (in->has("resolution")) {
        user->resolution = requireString(*in, "resolution");
        checkResolution(user->resolution);
    }
    if (in->has("cover_page")) user->coverPage = requireBool(*in, "cover_page");
    if (in->has("attachment_format")) {
        user->attachmentFormat = requireString(*in, "attachment_format");
        checkAttachmentFormat(user->attachmentFormat);
    }
    const std::vector<User> users = store.listUsers();
    if (before.role == Role::Admin && user->role != Role::Admin) {
        const auto admins = std::count_if(users.begin(), users.end(),
                                          [](const User& u) { return u.role == Role::Admin; });
        if (admins <= 1) {
            throw HttpError(
                409, "user '" + user->id + "' is the last administrator; make another first");
        }
    }
    const Object after = userJson(*user);
    const Object old = userJson(before);
    for (const auto& [name, value] : after) {
        if (value.toString() != old.get(name).toString()) changes.set(name, value);
    }
    if (changes.size() > 0) {
        AuditEntry entry = call.audit("user.change", user->id, changes);
        addSnapshots(entry, usersAfter(users, *user), user->defaultNode != before.defaultNode);
        store.updateUserAudited(*user, entry);
    }
    sendJson(call.response, 200, userJson(*user));
}

}  // namespace faxgate::gateway
