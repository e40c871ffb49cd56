// fax-admin's commands on the gateway's versioned settings (docs/settings.md): a node's
// settings document, the routing table, the per-user node table, the gateway's own settings
// and the priority table's history; any scope's versions with `history`.
//
// Grammar, the same for every document:
//   GROUP [ID] get [-o json|yaml]        the editable document, with its "version" (the base)
//   GROUP [ID] set -f FILE               register it (FILE: JSON or YAML; - = stdin)
//   GROUP [ID] versions                  who registered which version, when, from where
//   GROUP [ID] show-version N [-o ...]   an old version's document
//   GROUP [ID] rollback N                register version N's content again as a new version
// where GROUP is `node` (with the node's ID after the verb: `node get tokyo-1`), `routing`,
// `user-nodes` or `gateway-settings`; `priority` has versions/show-version/rollback beside
// its show/set. Notes that are not part of the document (drift, restart needed) go to
// stderr, so stdout can be redirected into the file to edit.
//
// Exit codes beyond admin_cli.h's: a registration refused because someone registered another
// version since the document was fetched (409) is 1 with "someone registered version N
// meanwhile: get again"; a node that refused a document it was pushed is 1 (the version is
// registered all the same, and `node status` shows the refusal).
#include <cstdint>
#include <fstream>
#include <iostream>
#include <sstream>

#include "admin-tool/cli_command.h"
#include "admin-tool/yaml_json.h"

namespace faxgate::admin {

namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// Largest document file read with -f.
constexpr size_t kMaxDocumentFileBytes = 16 * 1024 * 1024;

// One kind of settings document and where the admin API keeps it.
struct DocumentKind {
    std::string group;  // the command group: "node", "routing", ...
    std::string scope;  // the settings scope without the node ID: "node", "routing", "gateway"
    std::string what;   // for messages: "routing table"
    bool hasId;         // node: the commands take the node's ID

    std::string scopeOf(const CommandContext& c) const {
        return hasId ? scope + ":" + c.word(2) : scope;
    }
    // Where GET/PUT of the current document go.
    std::string path(const CommandContext& c) const {
        if (group == "node") return "/api/v1/nodes/" + urlEncode(c.word(2)) + "/settings";
        return "/api/v1/" + group;
    }
    std::string label(const CommandContext& c) const {
        return hasId ? group + " " + c.word(2) : what;
    }
    // The word after the verb where a version number is (show-version N, rollback N).
    size_t versionWord() const { return hasId ? 3 : 2; }
};

const DocumentKind kNode{"node", "node", "node settings", true};
const DocumentKind kRouting{"routing", "routing", "routing table", false};
const DocumentKind kUserNodes{"user-nodes", "user-nodes", "user-nodes table", false};
const DocumentKind kGatewaySettings{"gateway-settings", "gateway", "gateway settings", false};
const DocumentKind kPriority{"priority", "priority", "priority table", false};

// --- documents in and out ---------------------------------------------------------------

bool wantsYaml(const CommandContext& c) {
    if (!c.args.has("output")) return false;
    const std::string format = c.args.get("output");
    if (format != "json" && format != "yaml") {
        throw UsageError("-o takes json or yaml, not '" + format + "'");
    }
    if (format == "yaml" && c.json) throw UsageError("--json and -o yaml contradict each other");
    return format == "yaml";
}

void printDocument(CommandContext& c, const Var& document) {
    *c.env.out << (wantsYaml(c) ? jsonToYaml(document) : jsonToText(document) + "\n");
}

// The document a GET answered, as the administrator edits it: a node's settings with the
// version first; the gateway's settings without the list of keys that need a restart.
Object::Ptr editableDocument(const DocumentKind& kind, const Reply& reply) {
    const Object& body = *reply.body;
    Object::Ptr document = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    if (kind.group == "node") {
        document->set("version", fieldInt(body, "version"));
        if (Object::Ptr settings = body.getObject("settings")) {
            for (const std::string& key : settings->getNames()) {
                if (key != "version") document->set(key, settings->get(key));
            }
        }
        return document;
    }
    for (const std::string& key : body.getNames()) {
        if (key != "restart_required") document->set(key, body.get(key));
    }
    return document;
}

std::string joinedStrings(const Array::Ptr& array) {
    std::string text;
    for (size_t i = 0; array && i < array->size(); ++i) {
        if (!text.empty()) text += ", ";
        text += array->get(static_cast<unsigned>(i)).toString();
    }
    return text;
}

Object::Ptr readDocumentFile(CommandContext& c) {
    if (!c.args.has("file")) throw UsageError("give the document with -f FILE (- for stdin)");
    const std::string name = c.args.get("file");
    std::string text;
    auto readAll = [&](std::istream& in) {
        char buffer[65536];
        while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
            text.append(buffer, static_cast<size_t>(in.gcount()));
            if (text.size() > kMaxDocumentFileBytes) {
                throw UsageError(name + ": larger than " + std::to_string(kMaxDocumentFileBytes) +
                                 " bytes");
            }
        }
    };
    if (name == "-") {
        readAll(*c.env.in);
    } else {
        std::ifstream file(name, std::ios::binary);
        if (!file) throw UsageError("cannot read " + name);
        readAll(file);
        if (file.bad()) throw UsageError("cannot read " + name);
    }
    Var document;
    try {
        document = parseDocument(text, name);
    } catch (const DocumentError& e) {
        throw UsageError(name + ": " + e.what());
    }
    if (document.type() != typeid(Object::Ptr)) {
        throw UsageError(name +
                         ": the document must be an object (key: value), not a list or value");
    }
    return document.extract<Object::Ptr>();
}

int64_t versionArgument(const CommandContext& c, size_t index) {
    const std::string& text = c.word(index);
    int64_t version = 0;
    try {
        size_t used = 0;
        version = std::stoll(text, &used);
        if (used != text.size()) version = 0;
    } catch (const std::exception&) {
        version = 0;
    }
    if (version <= 0) throw UsageError("'" + text + "' is not a version number (1, 2, ...)");
    return version;
}

// --- what the gateway answered -----------------------------------------------------------

// The push of a node's settings (PUT .../settings, restore of a node:ID version):
// {"version", "pushed", "applied_version", "push_error"}. Prints what happened; 1 if the node
// refused the document.
int printPushResult(CommandContext& c, const std::string& nodeId, const Object& answer) {
    const int64_t version = fieldInt(answer, "version");
    const bool pushed = answer.optValue<bool>("pushed", false);
    const std::string error = fieldText(answer, "push_error");
    std::ostream& out = *c.env.out;
    out << "node " << nodeId << ": registered version " << version << "; ";
    if (pushed && error.empty() && fieldInt(answer, "applied_version") == version) {
        out << "applied by the node\n";
        return kExitOk;
    }
    if (pushed && !error.empty()) {
        out << "the node refused it: " << error << "\n";
        *c.env.err << "fax-admin: node " << nodeId << " refused version " << version << ": "
                   << error << "\n";
        return kExitRefused;
    }
    if (!error.empty()) {
        out << "not applied yet: " << error << "\n";  // offline or unreachable: next hello
    } else if (pushed) {
        out << "delivered; the node has applied version " << fieldInt(answer, "applied_version")
            << " so far (see: fax-admin node status " << nodeId << ")\n";
    } else {
        out << "the node is offline: it gets it at its next hello\n";
    }
    return kExitOk;
}

int printRegistered(CommandContext& c, const DocumentKind& kind, const Reply& reply) {
    if (c.json) {
        *c.env.out << jsonToText(reply.body) << "\n";
        return kind.group == "node" && reply.body->optValue<bool>("pushed", false) &&
                       !fieldText(*reply.body, "push_error").empty()
                   ? kExitRefused
                   : kExitOk;
    }
    if (kind.group == "node") return printPushResult(c, c.word(2), *reply.body);
    *c.env.out << kind.what << ": registered version " << fieldInt(*reply.body, "version") << "\n";
    const std::string restart = joinedStrings(reply.body->getArray("restart_required"));
    if (!restart.empty())
        *c.env.out << "restart the gateway for these to take effect: " << restart << "\n";
    return kExitOk;
}

// --- commands ------------------------------------------------------------------------------

int getDocument(CommandContext& c, const DocumentKind& kind) {
    wantsYaml(c);  // a bad -o is a usage error before anything is asked
    Reply reply = c.call("GET", kind.path(c));
    if (reply.status != 200) return c.refused(reply);
    printDocument(c, editableDocument(kind, reply));
    const Object& body = *reply.body;
    if (kind.group == "node" && !body.optValue<bool>("in_sync", true)) {
        *c.env.err << "note: node " << c.word(2) << " has applied version "
                   << fieldInt(body, "applied_version") << ", not " << fieldInt(body, "version")
                   << " (fax-admin node status " << c.word(2) << ")\n";
    }
    const std::string restart = joinedStrings(body.getArray("restart_required"));
    if (!restart.empty()) {
        *c.env.err << "note: registered but waiting for a restart of the gateway: " << restart
                   << "\n";
    }
    return kExitOk;
}

int setDocument(CommandContext& c, const DocumentKind& kind) {
    Object::Ptr document = readDocumentFile(c);
    Reply reply = c.call("PUT", kind.path(c), *document);
    if (reply.status == 409) {
        int64_t latest = fieldInt(*reply.body, "latest_version");
        if (latest == 0) latest = fieldInt(*reply.body, "version");
        *c.env.err << "fax-admin: ";
        if (latest > 0) {
            *c.env.err << "someone registered version " << latest << " meanwhile: get again";
        } else {
            *c.env.err << reply.error() << ": get again";
        }
        *c.env.err << " (fax-admin " << kind.group << " get" << (kind.hasId ? " " + c.word(2) : "")
                   << ")\n";
        return kExitRefused;
    }
    if (reply.status != 200 && reply.status != 201) return c.refused(reply);
    return printRegistered(c, kind, reply);
}

std::string versionsTable(const Array& versions) {
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < versions.size(); ++i) {
        auto v = versions.getObject(static_cast<unsigned>(i));
        if (!v) continue;
        rows.push_back({fieldText(*v, "version"), formatTimeMs(fieldInt(*v, "time_ms")),
                        fieldText(*v, "admin"), fieldText(*v, "address"), fieldText(*v, "action")});
    }
    return formatTable({"VERSION", "TIME", "ADMIN", "ADDRESS", "ACTION"}, rows);
}

std::string versionsPath(const std::string& scope) {
    return "/api/v1/settings/" + urlEncode(scope) + "/versions";
}

int listVersions(CommandContext& c, const std::string& scope) {
    return c.list(versionsPath(scope), "versions", versionsTable);
}

int showVersion(CommandContext& c, const std::string& scope, int64_t version) {
    wantsYaml(c);
    Reply reply = c.call("GET", versionsPath(scope) + "/" + std::to_string(version));
    if (reply.status != 200) return c.refused(reply);
    printDocument(c, reply.list ? Var(reply.list) : Var(reply.body));
    return kExitOk;
}

int rollback(CommandContext& c, const DocumentKind& kind) {
    const int64_t version = versionArgument(c, kind.versionWord());
    Reply reply =
        c.call("POST", versionsPath(kind.scopeOf(c)) + "/" + std::to_string(version) + "/restore");
    if (reply.status != 200 && reply.status != 201) return c.refused(reply);
    if (!c.json) {
        *c.env.out << kind.label(c) << ": version " << version << " restored\n";
    }
    return printRegistered(c, kind, reply);
}

// desired vs applied version of a node's settings, since when, the last refusal.
int nodeStatus(CommandContext& c) {
    Reply reply = c.call("GET", kNode.path(c));
    if (reply.status != 200) return c.refused(reply);
    const Object& body = *reply.body;
    if (c.json) {
        Object status(Poco::JSON_PRESERVE_KEY_ORDER);
        for (const std::string& key : body.getNames()) {
            if (key != "settings") status.set(key, body.get(key));
        }
        *c.env.out << jsonToText(Object::Ptr(new Object(status))) << "\n";
        return kExitOk;
    }
    const int64_t desired = fieldInt(body, "version");
    const int64_t applied = fieldInt(body, "applied_version");
    const bool inSync = body.optValue<bool>("in_sync", desired == applied);
    const std::string error = fieldText(body, "error");
    *c.env.out << formatTable(
        {"FIELD", "VALUE"},
        {{"node", c.word(2)},
         {"desired", "version " + std::to_string(desired)},
         {"applied", applied > 0 ? "version " + std::to_string(applied) : std::string("none yet")},
         {"since", formatTimeMs(fieldInt(body, "applied_ms"))},
         {"state", inSync ? "in sync" : "drift: the node has not applied the desired version"},
         {"last_error", error.empty()
                            ? "-"
                            : "version " + std::to_string(fieldInt(body, "error_version")) +
                                  " refused: " + error}});
    return kExitOk;
}

bool validScope(const std::string& scope) {
    static const std::set<std::string> plain = {"priority", "user-nodes", "routing", "gateway",
                                                "users"};
    return plain.count(scope) || (scope.rfind("node:", 0) == 0 && scope.size() > 5);
}

int history(CommandContext& c) {
    const std::string scope = c.word(1);
    if (!validScope(scope)) {
        throw UsageError("unknown scope '" + scope +
                         "': one of node:ID, priority, user-nodes, routing, gateway, users");
    }
    if (c.args.words.size() == 3) return showVersion(c, scope, versionArgument(c, 2));
    if (c.args.has("output")) throw UsageError("-o applies to 'history SCOPE N'");
    return listVersions(c, scope);
}

// get/set/versions/show-version/rollback for one kind of document.
void addDocumentCommands(CommandTable& table, const DocumentKind& kind, bool getAndSet) {
    const std::string id = kind.hasId ? " ID" : "";
    const size_t base = kind.hasId ? 3 : 2;  // words of "GROUP VERB [ID]"
    if (getAndSet) {
        table.push_back({kind.group + " get",
                         kind.group + " get" + id + " [-o json|yaml]: the " + kind.what +
                             " to edit, with its version (the base of the next set)",
                         {"output"},
                         base,
                         base,
                         [kind](CommandContext& c) { return getDocument(c, kind); }});
        table.push_back({kind.group + " set",
                         kind.group + " set" + id + " -f FILE: register the " + kind.what +
                             " in FILE (JSON or YAML; - for stdin) as a new version",
                         {"file"},
                         base,
                         base,
                         [kind](CommandContext& c) { return setDocument(c, kind); }});
    }
    table.push_back(
        {kind.group + " versions",
         kind.group + " versions" + id + ": the versions of the " + kind.what + ", newest first",
         {},
         base,
         base,
         [kind](CommandContext& c) { return listVersions(c, kind.scopeOf(c)); }});
    table.push_back(
        {kind.group + " show-version",
         kind.group + " show-version" + id + " N [-o json|yaml]: version N of the " + kind.what,
         {"output"},
         base + 1,
         base + 1,
         [kind](CommandContext& c) {
             return showVersion(c, kind.scopeOf(c), versionArgument(c, kind.versionWord()));
         }});
    table.push_back({kind.group + " rollback",
                     kind.group + " rollback" + id +
                         " N: register version N's content again, "
                         "as a new version",
                     {},
                     base + 1,
                     base + 1,
                     [kind](CommandContext& c) { return rollback(c, kind); }});
}

}  // namespace

void addSettingsCommands(CommandTable& table) {
    addDocumentCommands(table, kNode, true);
    table.push_back({"node status",
                     "node status ID: the node's desired and applied settings version, since "
                     "when, its last refusal",
                     {},
                     3,
                     3,
                     nodeStatus});
    addDocumentCommands(table, kRouting, true);
    addDocumentCommands(table, kUserNodes, true);
    addDocumentCommands(table, kGatewaySettings, true);
    addDocumentCommands(table, kPriority, false);
    table.push_back({"history",
                     "history SCOPE [N] [-o json|yaml]: the versions of a scope (node:ID, "
                     "priority, user-nodes, routing, gateway, users), or version N's document",
                     {"output"},
                     2,
                     3,
                     history});
}

}  // namespace faxgate::admin
