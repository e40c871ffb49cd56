// Shared parts of the admin API's versioned settings; see settings_scope.h.
#include "gateway/api/settings_scope.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>

#include "gateway/api/json_http.h"

namespace faxgate::gateway::admin {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::optional<int64_t> baseVersionOf(const Object& document) {
    if (!document.has("version") || document.isNull("version")) return std::nullopt;
    if (!document.get("version").isInteger() || document.getValue<int64_t>("version") < 0) {
        badRequest(
            "version: expected the whole number of the version the document was edited "
            "from (0 = none yet)");
    }
    return document.getValue<int64_t>("version");
}

int64_t latestVersion(Store& store, const std::string& scope) {
    std::optional<SettingsVersion> latest = store.latestSettings(scope);
    return latest ? latest->version : 0;
}

void sendConflict(const AdminCall& call, const std::string& what, int64_t latest) {
    Object answer;
    answer.set("error", what + " changed meanwhile: version " + std::to_string(latest) +
                            " is the latest; get it, edit it and register again");
    answer.set("latest_version", latest);
    sendJson(call.response, 409, answer);
}

SettingsVersion requireVersion(Store& store, const std::string& scope, int64_t version) {
    std::optional<SettingsVersion> found = store.findSettingsVersion(scope, version);
    if (!found) {
        throw HttpError(404,
                        "settings scope '" + scope + "' has no version " + std::to_string(version));
    }
    return *found;
}

Object::Ptr parseStoredDocument(const SettingsVersion& version) {
    try {
        Object::Ptr document = Poco::JSON::Parser().parse(version.document).extract<Object::Ptr>();
        if (document) return document;
    } catch (const Poco::Exception&) {
        // not JSON, or not an object: below
    }
    throw HttpError(500, "version " + std::to_string(version.version) + " of " + version.scope +
                             " is not a JSON object in the store");
}

void refuseRestore(const SettingsVersion& old, const std::string& reason) {
    throw HttpError(409, "version " + std::to_string(old.version) + " of " + old.scope +
                             " cannot be registered again: " + reason);
}

void VersionedScopeApi::handle(const AdminCall& call) {
    if (call.method == "GET") {
        queryOf(call.request, {});
        sendJson(call.response, 200, answer());
        return;
    }
    if (call.method != "PUT") methodNotAllowed("GET or PUT");
    auto in = call.body();
    std::set<std::string> known = shape_.fields;
    known.insert("version");
    rejectUnknownFields(*in, known);
    registerAndAnswer(call, *in, baseVersionOf(*in), shape_.setAction, Object(), 200);
}

void VersionedScopeApi::restore(const AdminCall& call, const SettingsVersion& old) {
    Object extra;
    extra.set("restored_from", old.version);
    registerAndAnswer(call, *parseStoredDocument(old), std::nullopt, shape_.restoreAction, extra,
                      201);
}

void VersionedScopeApi::registerAndAnswer(const AdminCall& call, const Object& document,
                                          std::optional<int64_t> baseVersion,
                                          const std::string& action, const Object& extraChanges,
                                          int status) {
    try {
        registerDocument(call, document, baseVersion, action, extraChanges);
    } catch (const SettingsConflict& e) {
        sendConflict(call, shape_.what, e.latestVersion());
        return;
    }
    sendJson(call.response, status, answer());
}

Object userJson(const User& user) {
    Object o;
    o.set("id", user.id);
    o.set("role", toString(user.role));
    o.set("email", user.email);
    o.set("default_node", user.defaultNode);
    o.set("resolution", user.resolution);
    o.set("cover_page", user.coverPage);
    o.set("attachment_format", user.attachmentFormat);
    return o;
}

std::string usersDocument(const std::vector<User>& users) {
    std::vector<const User*> sorted;
    sorted.reserve(users.size());
    for (const User& user : users) sorted.push_back(&user);
    std::sort(sorted.begin(), sorted.end(),
              [](const User* a, const User* b) { return a->id < b->id; });
    Array list;
    for (const User* user : sorted) list.add(userJson(*user));
    Object document;
    document.set("users", list);
    return stringify(document);
}

Object userNodesEntries(const std::vector<User>& users) {
    Object entries;
    for (const User& user : users) {
        if (!user.defaultNode.empty()) entries.set(user.id, user.defaultNode);
    }
    return entries;
}

std::string userNodesDocument(const std::vector<User>& users) {
    Object document;
    document.set("entries", userNodesEntries(users));
    return stringify(document);
}

std::vector<std::string> priorityOrder(std::vector<Node> nodes) {
    std::sort(nodes.begin(), nodes.end(), [](const Node& a, const Node& b) {
        return a.priority != b.priority ? a.priority < b.priority : a.id < b.id;
    });
    std::vector<std::string> order;
    order.reserve(nodes.size());
    for (const Node& node : nodes) order.push_back(node.id);
    return order;
}

std::string priorityDocument(const std::vector<Node>& nodes) {
    Array order;
    for (const std::string& id : priorityOrder(nodes)) order.add(id);
    Object document;
    document.set("order", order);
    return stringify(document);
}

}  // namespace faxgate::gateway::admin
