// fax-admin's commands on the gateway's tables: users, nodes (the list with live state and
// settings drift), the priority table, jobs, communication records and the audit log.
// Each builds one request (GET or a change) and prints a table, FIELD VALUE lines or a
// sentence; --json prints the gateway's JSON instead.
#include <cstdint>
#include <iostream>

#include "admin-tool/cli_command.h"
#include "admin-tool/yaml_json.h"

namespace faxgate::admin {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

// --- output ------------------------------------------------------------------------------

std::string usersTable(const Array& users) {
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < users.size(); ++i) {
        auto u = users.getObject(static_cast<unsigned>(i));
        rows.push_back({fieldText(*u, "id"), fieldText(*u, "role"), fieldText(*u, "email"),
                        fieldText(*u, "default_node"), fieldText(*u, "resolution"),
                        u->optValue<bool>("cover_page", true) ? "yes" : "no"});
    }
    return formatTable({"ID", "ROLE", "EMAIL", "NODE", "RESOLUTION", "COVER"}, rows);
}

std::string userLines(const Object& u) {
    return formatTable({"FIELD", "VALUE"}, {{"id", fieldText(u, "id")},
                                            {"role", fieldText(u, "role")},
                                            {"email", fieldText(u, "email")},
                                            {"default_node", fieldText(u, "default_node")},
                                            {"resolution", fieldText(u, "resolution")},
                                            {"cover_page", fieldText(u, "cover_page")}});
}

std::string linesText(const Object& node) {
    std::string text;
    Array::Ptr lines = node.getArray("lines");
    for (size_t i = 0; lines && i < lines->size(); ++i) {
        auto l = lines->getObject(static_cast<unsigned>(i));
        if (!text.empty()) text += " ";
        text += fieldText(*l, "id") + ":" + fieldText(*l, "state");
        if (fieldInt(*l, "job_id") > 0) {
            text += "(job " + std::to_string(fieldInt(*l, "job_id")) + ")";
        }
    }
    return text.empty() ? "-" : text;
}

// "busy/idle": lines in a call (sending, receiving) and lines free; lines that are down
// count as neither. "-" for a node that is offline (its last report is stale) or reported
// no lines.
std::string busyIdleText(const Object& node) {
    Array::Ptr lines = node.getArray("lines");
    if (!node.optValue<bool>("online", false) || !lines || lines->size() == 0) return "-";
    int busy = 0, idle = 0;
    for (size_t i = 0; i < lines->size(); ++i) {
        const std::string state = fieldText(*lines->getObject(static_cast<unsigned>(i)), "state");
        if (state == "idle") ++idle;
        if (state == "sending" || state == "receiving") ++busy;
    }
    return std::to_string(busy) + "/" + std::to_string(idle);
}

// A node's settings drift: "in sync (v4)", "desired v4, applied v3", "-" when no settings
// are registered for it. From the node's "settings" object in GET /api/v1/nodes, or, from a
// gateway that does not put it there, from GET /api/v1/nodes/{id}/settings.
std::string driftText(CommandContext& context, const Object& node) {
    Object::Ptr embedded = node.getObject("settings");
    Reply reply;
    if (!embedded) {
        reply =
            context.call("GET", "/api/v1/nodes/" + urlEncode(fieldText(node, "id")) + "/settings");
        if (reply.status == 404) return "-";
        if (reply.status != 200) return "?";
        embedded = reply.body;
    }
    const Object& status = *embedded;
    const int64_t desired = fieldInt(status, "version");
    if (desired == 0) return "-";
    const int64_t applied = fieldInt(status, "applied_version");
    if (status.optValue<bool>("in_sync", desired == applied)) {
        return "in sync (v" + std::to_string(desired) + ")";
    }
    return "desired v" + std::to_string(desired) + ", applied " +
           (applied > 0 ? "v" + std::to_string(applied) : std::string("-"));
}

std::string nodeLines(const Object& n) {
    std::vector<std::vector<std::string>> rows;
    for (const char* key :
         {"id", "url", "priority", "keep_free", "kill_time_ms", "max_dials", "max_connected_tries",
          "busy_retry_ms", "failure_retry_ms", "software"}) {
        rows.push_back({key, fieldText(n, key)});
    }
    rows.push_back({"online", n.optValue<bool>("online", false) ? "yes" : "no"});
    rows.push_back({"lines", linesText(n)});
    rows.push_back({"busy/idle", busyIdleText(n)});
    rows.push_back({"last_heartbeat", formatTimeMs(fieldInt(n, "last_heartbeat_ms"))});
    return formatTable({"FIELD", "VALUE"}, rows);
}

std::string priorityTable(const Array& order) {
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < order.size(); ++i) {
        auto n = order.getObject(static_cast<unsigned>(i));
        rows.push_back({fieldText(*n, "priority"), fieldText(*n, "id")});
    }
    return formatTable({"PRIORITY", "NODE"}, rows);
}

std::vector<std::string> jobRow(const Object& j) {
    return {fieldText(j, "id"),
            fieldText(j, "owner"),
            fieldText(j, "number"),
            fieldText(j, "state"),
            fieldText(j, "pages_sent") + "/" + fieldText(j, "pages_total"),
            fieldText(j, "dials"),
            fieldText(j, "node"),
            fieldText(j, "last_result"),
            formatTimeMs(fieldInt(j, "updated_ms"))};
}

std::string jobsTable(const Array& jobs) {
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < jobs.size(); ++i) {
        rows.push_back(jobRow(*jobs.getObject(static_cast<unsigned>(i))));
    }
    return formatTable(
        {"ID", "OWNER", "NUMBER", "STATE", "PAGES", "DIALS", "NODE", "RESULT", "UPDATED"}, rows);
}

std::string jobLines(const Object& j) {
    std::vector<std::vector<std::string>> rows;
    for (const char* key : {"id", "submission_id", "subject", "owner", "number", "state",
                            "priority", "dials", "connected_tries", "pages_total", "pages_sent",
                            "node", "line", "last_result", "last_reason"}) {
        rows.push_back({key, fieldText(j, key)});
    }
    for (const char* key : {"created_ms", "updated_ms", "not_before_ms", "kill_at_ms"}) {
        std::string name = key;
        rows.push_back({name.substr(0, name.size() - 3), formatTimeMs(fieldInt(j, key))});
    }
    std::string text = formatTable({"FIELD", "VALUE"}, rows);
    std::vector<std::vector<std::string>> attempts;
    Array::Ptr list = j.getArray("attempts");
    for (size_t i = 0; list && i < list->size(); ++i) {
        auto a = list->getObject(static_cast<unsigned>(i));
        attempts.push_back({fieldText(*a, "number"), fieldText(*a, "node"), fieldText(*a, "line"),
                            formatTimeMs(fieldInt(*a, "dispatched_ms")),
                            formatTimeMs(fieldInt(*a, "ended_ms")), fieldText(*a, "result"),
                            fieldText(*a, "pages"), fieldText(*a, "reason")});
    }
    if (!attempts.empty()) {
        text += "\nAttempts:\n" + formatTable({"#", "NODE", "LINE", "DISPATCHED", "ENDED", "RESULT",
                                               "PAGES", "REASON"},
                                              attempts);
    }
    return text;
}

std::string recordsTable(const Array& records) {
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < records.size(); ++i) {
        auto r = records.getObject(static_cast<unsigned>(i));
        rows.push_back(
            {formatTimeMs(fieldInt(*r, "started_ms")), fieldText(*r, "direction"),
             fieldText(*r, "node"), fieldText(*r, "line"), fieldText(*r, "number"),
             fieldInt(*r, "job_id") ? fieldText(*r, "job_id") : "-", fieldText(*r, "result"),
             fieldText(*r, "pages") + "/" + fieldText(*r, "pages_total"),
             std::to_string(fieldInt(*r, "duration_ms") / 1000) + "s", fieldText(*r, "record_id")});
    }
    return formatTable({"STARTED", "DIR", "NODE", "LINE", "NUMBER", "JOB", "RESULT", "PAGES",
                        "DURATION", "RECORD"},
                       rows);
}

std::string auditTable(const Array& entries) {
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < entries.size(); ++i) {
        auto e = entries.getObject(static_cast<unsigned>(i));
        std::string changes;
        if (Object::Ptr c = e->getObject("changes")) {
            changes = jsonToText(c, 0);
        } else {
            changes = fieldText(*e, "changes");
        }
        rows.push_back({formatTimeMs(fieldInt(*e, "time_ms")), fieldText(*e, "admin"),
                        fieldText(*e, "client"), fieldText(*e, "action"), fieldText(*e, "target"),
                        changes});
    }
    return formatTable({"TIME", "ADMIN", "CLIENT", "ACTION", "TARGET", "CHANGES"}, rows);
}

std::string limitQuery(CommandContext& c) {
    return "?limit=" +
           (c.args.has("limit") ? std::to_string(c.intOption("limit")) : std::string("100"));
}

// --- commands ----------------------------------------------------------------------------

int usersAdd(CommandContext& c) {
    const ParsedArgs& p = c.args;
    Object body;
    body.set("id", c.word(2));
    body.set("password", c.newPassword(c.word(2)));
    body.set("role", p.has("admin") ? "admin" : "user");
    if (p.has("email")) body.set("email", p.get("email"));
    if (p.has("node")) body.set("default_node", p.get("node"));
    if (p.has("resolution")) body.set("resolution", p.get("resolution"));
    if (p.has("no-cover")) body.set("cover_page", false);
    if (p.has("attachment")) body.set("attachment_format", p.get("attachment"));
    return c.change("POST", "/api/v1/users", body, "user " + c.word(2) + " added");
}

int usersSet(CommandContext& c) {
    const ParsedArgs& p = c.args;
    Object body;
    if (p.has("email")) body.set("email", p.get("email"));
    if (p.has("node")) body.set("default_node", p.get("node"));
    if (p.has("resolution")) body.set("resolution", p.get("resolution"));
    if (p.has("role")) body.set("role", p.get("role"));
    if (p.has("attachment")) body.set("attachment_format", p.get("attachment"));
    if (p.has("cover")) {
        const std::string cover = p.get("cover");
        if (cover != "yes" && cover != "no") throw UsageError("--cover takes yes or no");
        body.set("cover_page", cover == "yes");
    }
    if (body.size() == 0) throw UsageError("users set: nothing to change");
    return c.change("PATCH", "/api/v1/users/" + urlEncode(c.word(2)), body,
                    "user " + c.word(2) + " changed");
}

int nodesList(CommandContext& c) {
    Reply reply = c.call("GET", "/api/v1/nodes");
    if (reply.status != 200) return c.refused(reply);
    Array::Ptr nodes = replyArray(reply, "nodes");
    if (c.json) return c.printList(reply, "nodes", {});
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < nodes->size(); ++i) {
        auto n = nodes->getObject(static_cast<unsigned>(i));
        rows.push_back({fieldText(*n, "id"), fieldText(*n, "priority"),
                        n->optValue<bool>("online", false) ? "online" : "offline", linesText(*n),
                        busyIdleText(*n), fieldText(*n, "keep_free"), driftText(c, *n),
                        fieldText(*n, "url"), formatTimeMs(fieldInt(*n, "last_heartbeat_ms"))});
    }
    *c.env.out << formatTable({"ID", "PRIORITY", "STATE", "LINES", "BUSY/IDLE", "KEEP-FREE",
                               "SETTINGS", "URL", "LAST-HEARTBEAT"},
                              rows);
    return kExitOk;
}

int nodesAddOrSet(CommandContext& c, bool add) {
    const ParsedArgs& p = c.args;
    Object body;
    if (add) {
        if (!p.has("url") || !p.has("secret"))
            throw UsageError("nodes add needs --url and --secret");
        body.set("id", c.word(2));
    }
    if (p.has("url")) body.set("url", p.get("url"));
    if (p.has("secret")) body.set("secret", p.get("secret"));
    for (const char* name : {"priority", "keep-free", "kill-time-ms", "max-dials",
                             "max-connected-tries", "busy-retry-ms", "failure-retry-ms"}) {
        if (!p.has(name)) continue;
        std::string field = name;
        for (char& ch : field) ch = ch == '-' ? '_' : ch;
        body.set(field, c.intOption(name));
    }
    if (!add && body.size() == 0) throw UsageError("nodes set: nothing to change");
    return c.change(add ? "POST" : "PATCH",
                    add ? "/api/v1/nodes" : "/api/v1/nodes/" + urlEncode(c.word(2)), body,
                    "node " + c.word(2) + (add ? " added" : " changed"));
}

int prioritySet(CommandContext& c) {
    Array order;
    for (size_t i = 2; i < c.args.words.size(); ++i) order.add(c.word(i));
    Object body;
    body.set("order", order);
    Reply reply = c.call("PUT", "/api/v1/priority", body);
    if (reply.status != 200 && reply.status != 201) return c.refused(reply);
    return c.printList(reply, "order", priorityTable);
}

int jobsList(CommandContext& c) {
    const ParsedArgs& p = c.args;
    std::string query = limitQuery(c);
    if (p.has("owner")) query += "&owner=" + urlEncode(p.get("owner"));
    if (p.has("state")) query += "&state=" + urlEncode(p.get("state"));
    if (p.has("active")) query += "&active=1";
    return c.list("/api/v1/jobs" + query, "jobs", jobsTable);
}

int jobsCancelOrRetry(CommandContext& c, const std::string& verb) {
    const std::string& id = c.word(2);
    Reply reply = c.call("POST", "/api/v1/jobs/" + urlEncode(id) + "/" + verb);
    if (reply.status != 200) return c.refused(reply);
    if (c.json) {
        *c.env.out << jsonToText(reply.body) << "\n";
    } else if (verb == "cancel" && fieldText(*reply.body, "cancel") == "requested") {
        *c.env.out << "job " << id << ": cancel requested; node " << fieldText(*reply.body, "node")
                   << " is aborting the call\n";
    } else {
        *c.env.out << "job " << id << " is now " << fieldText(*reply.body, "state") << "\n";
    }
    return kExitOk;
}

int records(CommandContext& c) {
    const ParsedArgs& p = c.args;
    std::string query = limitQuery(c);
    if (p.has("node")) query += "&node=" + urlEncode(p.get("node"));
    // Not --user: that is the administrator who logs in.
    if (p.has("for-user")) query += "&user=" + urlEncode(p.get("for-user"));
    if (p.has("number")) query += "&number=" + urlEncode(p.get("number"));
    if (p.has("direction")) query += "&direction=" + urlEncode(p.get("direction"));
    if (p.has("job")) query += "&job=" + std::to_string(c.intOption("job"));
    for (const char* name : {"since", "until"}) {
        if (!p.has(name)) continue;
        auto ms = parseDateMs(p.get(name));
        if (!ms) throw UsageError("--" + std::string(name) + ": not a date: " + p.get(name));
        query += "&" + std::string(name) + "_ms=" + std::to_string(*ms);
    }
    return c.list("/api/v1/records" + query, "records", recordsTable);
}

const std::set<std::string> kNodeOptions = {"url",
                                            "secret",
                                            "priority",
                                            "keep-free",
                                            "kill-time-ms",
                                            "max-dials",
                                            "max-connected-tries",
                                            "busy-retry-ms",
                                            "failure-retry-ms"};

}  // namespace

void addRegistryCommands(CommandTable& table) {
    table.push_back({"users list", "users list: all users", {}, 2, 2, [](CommandContext& c) {
                         return c.list("/api/v1/users", "users", usersTable);
                     }});
    table.push_back({"users show", "users show ID: one user", {}, 3, 3, [](CommandContext& c) {
                         return c.show("/api/v1/users/" + urlEncode(c.word(2)), userLines);
                     }});
    table.push_back({"users add",
                     "users add ID [--admin] [--email ADDR] [--node NODE] [--resolution "
                     "fine|normal] [--no-cover] [--attachment pdf|tiff|both]: a new user "
                     "(password prompted, or the next stdin line)",
                     {"admin", "email", "node", "resolution", "no-cover", "attachment"},
                     3,
                     3,
                     usersAdd});
    table.push_back({"users passwd",
                     "users passwd ID: set a new password (prompted or next stdin line)",
                     {},
                     3,
                     3,
                     [](CommandContext& c) {
                         Object body;
                         body.set("password", c.newPassword(c.word(2)));
                         return c.change("PATCH", "/api/v1/users/" + urlEncode(c.word(2)), body,
                                         "password of " + c.word(2) + " changed");
                     }});
    table.push_back({"users set",
                     "users set ID [--email ADDR] [--node NODE] [--resolution fine|normal] "
                     "[--role user|admin] [--cover yes|no] [--attachment pdf|tiff|both]: "
                     "change a user",
                     {"email", "node", "resolution", "role", "cover", "attachment"},
                     3,
                     3,
                     usersSet});
    table.push_back({"nodes list",
                     "nodes list (or nodes alone): every node with its state, lines "
                     "busy/idle and settings drift",
                     {},
                     2,
                     2,
                     nodesList});
    table.push_back(
        {"nodes show", "nodes show ID: one node with its lines", {}, 3, 3, [](CommandContext& c) {
             return c.show("/api/v1/nodes/" + urlEncode(c.word(2)), nodeLines);
         }});
    table.push_back({"nodes add",
                     "nodes add ID --url URL --secret SECRET [--priority N] [--keep-free N] "
                     "[--kill-time-ms MS] [--max-dials N] [--max-connected-tries N] "
                     "[--busy-retry-ms MS] [--failure-retry-ms MS]: a new node",
                     kNodeOptions, 3, 3, [](CommandContext& c) { return nodesAddOrSet(c, true); }});
    table.push_back({"nodes set",
                     "nodes set ID [--url URL] [--secret SECRET] [node options as for add]: "
                     "change a node",
                     kNodeOptions, 3, 3,
                     [](CommandContext& c) { return nodesAddOrSet(c, false); }});
    table.push_back(
        {"priority show", "priority show: the priority table", {}, 2, 2, [](CommandContext& c) {
             return c.list("/api/v1/priority", "order", priorityTable);
         }});
    table.push_back({"priority set",
                     "priority set NODE...: these nodes first, in this order",
                     {},
                     3,
                     SIZE_MAX,
                     prioritySet});
    table.push_back({"jobs list",
                     "jobs list [--owner U] [--state S] [--active] [--limit N]: jobs, newest "
                     "first",
                     {"owner", "state", "active", "limit"},
                     2,
                     2,
                     jobsList});
    table.push_back(
        {"jobs show", "jobs show ID: one job with its attempts", {}, 3, 3, [](CommandContext& c) {
             return c.show("/api/v1/jobs/" + urlEncode(c.word(2)), jobLines);
         }});
    table.push_back({"jobs cancel",
                     "jobs cancel ID: cancel a job (a call in progress is aborted)",
                     {},
                     3,
                     3,
                     [](CommandContext& c) { return jobsCancelOrRetry(c, "cancel"); }});
    table.push_back({"jobs retry",
                     "jobs retry ID: queue a failed or cancelled job again",
                     {},
                     3,
                     3,
                     [](CommandContext& c) { return jobsCancelOrRetry(c, "retry"); }});
    table.push_back({"records",
                     "records [--node N] [--for-user ID] [--number X] [--direction "
                     "send|receive] [--job ID] [--since DATE] [--until DATE] [--limit N]: "
                     "communication records (--for-user: the user's sent faxes and the faxes "
                     "routed to the user)",
                     {"node", "for-user", "number", "direction", "job", "since", "until", "limit"},
                     1,
                     1,
                     records});
    table.push_back({"audit",
                     "audit [--limit N]: the audit log, newest first",
                     {"limit"},
                     1,
                     1,
                     [](CommandContext& c) {
                         return c.list("/api/v1/audit" + limitQuery(c), "entries", auditTable);
                     }});
}

}  // namespace faxgate::admin
