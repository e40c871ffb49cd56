// The admin API's routing table and its versions; see routing_api.h.
//
// Layout: the document's JSON out and in (each refusal names the field's path), then the
// resource.
#include "gateway/api/routing_api.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "gateway/api/json_http.h"

namespace faxgate::gateway {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using namespace admin;

constexpr int64_t kMaxRulePriority = 1000000;

Array usersJson(const std::vector<std::string>& users) {
    Array array;
    for (const std::string& user : users) array.add(user);
    return array;
}

bool hasControlCharacters(const std::string& text) {
    return std::any_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

void refuseUnknownFields(const Object& object, const std::string& path,
                         const std::set<std::string>& known) {
    for (const auto& [name, value] : object) {
        if (!known.count(name)) badRequest(path + "." + forLog(name) + ": unknown field");
    }
}

std::string textField(const Object& object, const std::string& path, const std::string& name,
                      const std::optional<std::string>& fallback) {
    if (!object.has(name) || object.isNull(name)) {
        if (fallback) return *fallback;
        badRequest(path + "." + name + ": missing");
    }
    if (!object.get(name).isString()) badRequest(path + "." + name + ": expected a string");
    return object.getValue<std::string>(name);
}

RouteField fieldOf(const Object& object, const std::string& path) {
    const std::string text = textField(object, path, "field", std::nullopt);
    std::optional<RouteField> field = routeFieldFromString(text);
    if (!field) {
        badRequest(path + ".field: expected called, caller or csid, got '" + forLog(text) + "'");
    }
    return *field;
}

RouteMatch matchOf(const Object& object, const std::string& path) {
    const std::string text = textField(object, path, "match", std::string("exact"));
    std::optional<RouteMatch> match = routeMatchFromString(text);
    if (!match) {
        badRequest(path + ".match: expected exact, prefix or pattern, got '" + forLog(text) + "'");
    }
    return *match;
}

std::string valueOf(const Object& object, const std::string& path) {
    std::string value = textField(object, path, "value", std::nullopt);
    if (value.empty() || value.size() > kMaxRouteValueBytes || hasControlCharacters(value)) {
        badRequest(path + ".value: expected 1 to " + std::to_string(kMaxRouteValueBytes) +
                   " printable characters");
    }
    return value;
}

std::string notesOf(const Object& object, const std::string& path) {
    std::string notes = textField(object, path, "notes", std::string());
    if (notes.size() > kMaxRouteNotesBytes) {
        badRequest(path + ".notes: longer than " + std::to_string(kMaxRouteNotesBytes) + " bytes");
    }
    return notes;
}

std::vector<std::string> usersOf(const Array::Ptr& array, const std::string& path,
                                 const std::vector<std::string>& known) {
    if (!array) badRequest(path + ": expected a list of user IDs");
    if (array->size() > kMaxUsersPerRoute) {
        badRequest(path + ": more than " + std::to_string(kMaxUsersPerRoute) + " users");
    }
    std::vector<std::string> users;
    for (unsigned i = 0; i < array->size(); ++i) {
        const std::string at = path + "[" + std::to_string(i) + "]";
        if (!array->get(i).isString()) badRequest(at + ": expected a user ID");
        const std::string user = array->getElement<std::string>(i);
        if (std::find(known.begin(), known.end(), user) == known.end()) {
            badRequest(at + ": no user '" + forLog(user) + "'");
        }
        users.push_back(user);
    }
    return users;
}

RoutingRule ruleOf(const Object::Ptr& object, const std::string& path,
                   const std::vector<std::string>& users) {
    if (!object) badRequest(path + ": expected an object");
    refuseUnknownFields(*object, path, {"field", "match", "value", "users", "priority", "notes"});
    RoutingRule rule;
    rule.field = fieldOf(*object, path);
    rule.match = matchOf(*object, path);
    rule.value = valueOf(*object, path);
    if (!object->has("users")) badRequest(path + ".users: missing");
    rule.users = usersOf(object->getArray("users"), path + ".users", users);
    if (rule.users.empty()) badRequest(path + ".users: name at least one user");
    if (object->has("priority")) {
        if (!object->get("priority").isInteger() ||
            std::abs(object->getValue<int64_t>("priority")) > kMaxRulePriority) {
            badRequest(path + ".priority: expected a whole number from -" +
                       std::to_string(kMaxRulePriority) + " to " +
                       std::to_string(kMaxRulePriority));
        }
        rule.priority = static_cast<int>(object->getValue<int64_t>("priority"));
    }
    rule.notes = notesOf(*object, path);
    return rule;
}

BlockEntry blockOf(const Object::Ptr& object, const std::string& path) {
    if (!object) badRequest(path + ": expected an object");
    refuseUnknownFields(*object, path, {"field", "match", "value", "notes"});
    BlockEntry block;
    block.field = fieldOf(*object, path);
    if (block.field == RouteField::Called) {
        badRequest(path + ".field: only caller and csid can be blocked");
    }
    block.match = matchOf(*object, path);
    if (block.match == RouteMatch::Pattern) {
        badRequest(path + ".match: blocks are exact or prefix");
    }
    block.value = valueOf(*object, path);
    block.notes = notesOf(*object, path);
    return block;
}

Array::Ptr listField(const Object& document, const std::string& name) {
    if (!document.has(name) || document.isNull(name)) return new Array;  // absent: empty
    Array::Ptr array = document.getArray(name);
    if (!array) badRequest(name + ": expected a list");
    return array;
}

// One line per rule or block entry, for the audit log's added/removed lists.
std::string ruleText(const RoutingRule& rule) {
    std::string users;
    for (const std::string& user : rule.users) users += (users.empty() ? "" : ",") + user;
    return toString(rule.field) + " " + toString(rule.match) + " " + rule.value + " -> " + users +
           " (priority " + std::to_string(rule.priority) + ")";
}

std::string blockText(const BlockEntry& block) {
    return toString(block.field) + " " + toString(block.match) + " " + block.value;
}

// {"added": [...], "removed": [...]} between two lists of lines; empty if they hold the same.
Object difference(const std::vector<std::string>& before, const std::vector<std::string>& after) {
    Array added, removed;
    std::multiset<std::string> remaining(before.begin(), before.end());
    for (const std::string& line : after) {
        auto it = remaining.find(line);
        if (it == remaining.end()) {
            added.add(line);
        } else {
            remaining.erase(it);
        }
    }
    for (const std::string& line : remaining) removed.add(line);
    Object diff;
    if (added.size() > 0) diff.set("added", added);
    if (removed.size() > 0) diff.set("removed", removed);
    return diff;
}

Object tableChanges(const RoutingRules& before, const RoutingRules& after) {
    auto lines = [](const RoutingRules& table, bool rules) {
        std::vector<std::string> out;
        if (rules) {
            for (const RoutingRule& rule : table.rules) out.push_back(ruleText(rule));
        } else {
            for (const BlockEntry& block : table.blocked) out.push_back(blockText(block));
        }
        return out;
    };
    Object changes;
    Object rules = difference(lines(before, true), lines(after, true));
    if (rules.size() > 0) changes.set("rules", rules);
    if (before.defaultUsers != after.defaultUsers) {
        changes.set("default", usersJson(after.defaultUsers));
    }
    Object blocked = difference(lines(before, false), lines(after, false));
    if (blocked.size() > 0) changes.set("blocked", blocked);
    return changes;
}

}  // namespace

Object routingJson(const RoutingRules& table) {
    Array rules;
    for (const RoutingRule& rule : table.rules) {
        Object o;
        o.set("field", toString(rule.field));
        o.set("match", toString(rule.match));
        o.set("value", rule.value);
        o.set("users", usersJson(rule.users));
        o.set("priority", rule.priority);
        o.set("notes", rule.notes);
        rules.add(o);
    }
    Array blocked;
    for (const BlockEntry& block : table.blocked) {
        Object o;
        o.set("field", toString(block.field));
        o.set("match", toString(block.match));
        o.set("value", block.value);
        o.set("notes", block.notes);
        blocked.add(o);
    }
    Object document;
    document.set("rules", rules);
    document.set("default", usersJson(table.defaultUsers));
    document.set("blocked", blocked);
    return document;
}

RoutingRules parseRoutingDocument(const Object& document, const std::vector<std::string>& users) {
    RoutingRules table;
    Array::Ptr rules = listField(document, "rules");
    Array::Ptr blocked = listField(document, "blocked");
    if (rules->size() + blocked->size() > kMaxRoutingEntries) {
        badRequest("rules, blocked: more than " + std::to_string(kMaxRoutingEntries) +
                   " rules and block entries together");
    }
    for (unsigned i = 0; i < rules->size(); ++i) {
        RoutingRule rule = ruleOf(rules->getObject(i), "rules[" + std::to_string(i) + "]", users);
        rule.id = static_cast<int64_t>(i) + 1;
        table.rules.push_back(std::move(rule));
    }
    table.defaultUsers = usersOf(listField(document, "default"), "default", users);
    for (unsigned i = 0; i < blocked->size(); ++i) {
        table.blocked.push_back(
            blockOf(blocked->getObject(i), "blocked[" + std::to_string(i) + "]"));
    }
    return table;
}

RoutingApi::RoutingApi(const SettingsContext& context)
    : VersionedScopeApi(context, {"the routing table",
                                  "routing.set",
                                  "routing.restore",
                                  {"rules", "default", "blocked"}}) {}

bool RoutingApi::handles(const std::vector<std::string>& path) {
    return path.size() == 1 && path[0] == "routing";
}

Object RoutingApi::answer() {
    Object answer = routingJson(context_.store.loadRoutingRules());
    answer.set("version", latestVersion(context_.store, kRoutingScope));
    return answer;
}

void RoutingApi::registerDocument(const AdminCall& call, const Object& document,
                                  std::optional<int64_t> baseVersion, const std::string& action,
                                  const Object& extraChanges) {
    Store& store = context_.store;
    std::vector<std::string> users;
    for (const User& user : store.listUsers()) users.push_back(user.id);
    const RoutingRules table = parseRoutingDocument(document, users);

    Object changes(extraChanges);
    for (const auto& [name, value] : tableChanges(store.loadRoutingRules(), table)) {
        changes.set(name, value);
    }
    AuditEntry entry = call.audit(action, kRoutingScope, changes);
    entry.snapshot = SettingsSnapshot{kRoutingScope, stringify(routingJson(table)), baseVersion};
    store.replaceRoutingRulesAudited(table, entry);
}

}  // namespace faxgate::gateway
