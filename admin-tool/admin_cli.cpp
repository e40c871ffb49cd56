// fax-admin's commands; see admin_cli.h.
//
// Layout: option parsing (one table of known options), settings resolution, then one
// function per command group that builds the request and prints the answer.
#include "admin-tool/admin_cli.h"

#include <Poco/AutoPtr.h>
#include <Poco/JSON/Array.h>
#include <Poco/Path.h>
#include <Poco/URI.h>
#include <Poco/Util/IniFileConfiguration.h>
#include <termios.h>
#include <unistd.h>

#include <charconv>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

namespace faxgate::admin {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Options that take a value; everything else starting with -- is a flag from kFlags.
const std::set<std::string> kValueOptions = {"url",           "user",
                                             "config",        "email",
                                             "node",          "resolution",
                                             "attachment",
                                             "secret",        "priority",
                                             "keep-free",     "kill-time-ms",
                                             "max-dials",     "max-connected-tries",
                                             "busy-retry-ms", "failure-retry-ms",
                                             "owner",         "state",
                                             "number",        "direction",
                                             "job",           "since",
                                             "until",         "limit",
                                             "role",          "cover"};
const std::set<std::string> kFlags = {"json",  "password-stdin", "help",
                                      "admin", "no-cover",       "active"};
// Options every command takes.
const std::set<std::string> kGlobalOptions = {"url",  "user",           "config",
                                              "json", "password-stdin", "help"};

struct Parsed {
    std::vector<std::string> words;
    std::map<std::string, std::string> options;  // flags map to "1"
    bool has(const std::string& name) const { return options.count(name) > 0; }
    std::string get(const std::string& name) const {
        auto it = options.find(name);
        return it == options.end() ? "" : it->second;
    }
};

Parsed parseArgs(const std::vector<std::string>& args) {
    Parsed parsed;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "-h") {
            parsed.options["help"] = "1";
        } else if (arg.rfind("--", 0) == 0 && arg.size() > 2) {
            std::string name = arg.substr(2);
            std::optional<std::string> value;
            if (auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name.resize(eq);
            }
            if (kFlags.count(name)) {
                if (value) throw UsageError("option --" + name + " takes no value");
                parsed.options[name] = "1";
            } else if (kValueOptions.count(name)) {
                if (!value) {
                    if (i + 1 >= args.size())
                        throw UsageError("option --" + name + " needs a value");
                    value = args[++i];
                }
                parsed.options[name] = *value;
            } else {
                throw UsageError("unknown option --" + name);
            }
        } else {
            parsed.words.push_back(arg);
        }
    }
    return parsed;
}

const char* const kUsage =
    "usage: fax-admin [--url URL] [--user USER] [--config FILE] [--password-stdin] [--json]\n"
    "                 COMMAND ...\n"
    "\n"
    "Commands:\n"
    "  users list | show ID | passwd ID\n"
    "  users add ID [--admin] [--email ADDR] [--node NODE] [--resolution fine|normal] "
    "[--no-cover] [--attachment pdf|tiff|both]\n"
    "  users set ID [--email ADDR] [--node NODE] [--resolution R] [--role user|admin]"
    " [--cover yes|no] [--attachment pdf|tiff|both]\n"
    "  nodes list | show ID\n"
    "  nodes add ID --url URL --secret SECRET [NODE OPTIONS]\n"
    "  nodes set ID [--url URL] [--secret SECRET] [NODE OPTIONS]\n"
    "      NODE OPTIONS: --priority N --keep-free N --kill-time-ms MS --max-dials N\n"
    "                    --max-connected-tries N --busy-retry-ms MS --failure-retry-ms MS\n"
    "  priority show | set NODE...          (listed nodes first, in this order)\n"
    "  jobs list [--owner U] [--state S] [--active] [--limit N] | show ID | cancel ID | retry ID\n"
    "  records [--node N] [--number X] [--direction send|receive] [--job ID]\n"
    "          [--since DATE] [--until DATE] [--limit N]\n"
    "  audit [--limit N]\n"
    "\n"
    "The gateway and credentials come from --url/--user, else FAXGATE_URL, FAXGATE_USER,\n"
    "FAXGATE_PASSWORD, else ~/.config/faxgate/admin.ini (keys url, user, password). The\n"
    "password is prompted for on a terminal, or read from stdin with --password-stdin; a new\n"
    "user's password (users add, users passwd) likewise, or from the next stdin line.\n"
    "DATE: YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]' (local time) or milliseconds since 1970.\n"
    "Exit: 0 ok, 1 refused by the gateway, 2 usage, 3 cannot connect, 4 authentication.\n";

// Per command: the usage line for --help and its own options.
struct CommandSpec {
    std::string usage;
    std::set<std::string> options;
    size_t minWords;  // words including group and verb
    size_t maxWords;  // SIZE_MAX: any number
};

const std::set<std::string> kNodeOptions = {"url",
                                            "secret",
                                            "priority",
                                            "keep-free",
                                            "kill-time-ms",
                                            "max-dials",
                                            "max-connected-tries",
                                            "busy-retry-ms",
                                            "failure-retry-ms"};

const std::map<std::string, CommandSpec>& commandSpecs() {
    static const std::map<std::string, CommandSpec> specs = {
        {"users list", {"users list: all users", {}, 2, 2}},
        {"users show", {"users show ID: one user", {}, 3, 3}},
        {"users add",
         {"users add ID [--admin] [--email ADDR] [--node NODE] [--resolution fine|normal] "
          "[--no-cover] [--attachment pdf|tiff|both]: a new user (password prompted, or the next"
          " stdin line)",
          {"admin", "email", "node", "resolution", "no-cover", "attachment"},
          3,
          3}},
        {"users passwd",
         {"users passwd ID: set a new password (prompted or next stdin line)", {}, 3, 3}},
        {"users set",
         {"users set ID [--email ADDR] [--node NODE] [--resolution fine|normal] "
          "[--role user|admin] [--cover yes|no] [--attachment pdf|tiff|both]: change a user",
          {"email", "node", "resolution", "role", "cover", "attachment"},
          3,
          3}},
        {"nodes list", {"nodes list: all nodes with their live state", {}, 2, 2}},
        {"nodes show", {"nodes show ID: one node with its lines", {}, 3, 3}},
        {"nodes add",
         {"nodes add ID --url URL --secret SECRET [--priority N] [--keep-free N] "
          "[--kill-time-ms MS] [--max-dials N] [--max-connected-tries N] "
          "[--busy-retry-ms MS] [--failure-retry-ms MS]: a new node",
          kNodeOptions, 3, 3}},
        {"nodes set",
         {"nodes set ID [--url URL] [--secret SECRET] [node options as for add]: "
          "change a node",
          kNodeOptions, 3, 3}},
        {"priority show", {"priority show: the priority table", {}, 2, 2}},
        {"priority set",
         {"priority set NODE...: these nodes first, in this order", {}, 3, SIZE_MAX}},
        {"jobs list",
         {"jobs list [--owner U] [--state S] [--active] [--limit N]: jobs, newest "
          "first",
          {"owner", "state", "active", "limit"},
          2,
          2}},
        {"jobs show", {"jobs show ID: one job with its attempts", {}, 3, 3}},
        {"jobs cancel", {"jobs cancel ID: cancel a job (a call in progress is aborted)", {}, 3, 3}},
        {"jobs retry", {"jobs retry ID: queue a failed or cancelled job again", {}, 3, 3}},
        {"records",
         {"records [--node N] [--number X] [--direction send|receive] [--job ID] "
          "[--since DATE] [--until DATE] [--limit N]: communication records",
          {"node", "number", "direction", "job", "since", "until", "limit"},
          1,
          1}},
        {"audit", {"audit [--limit N]: the audit log, newest first", {"limit"}, 1, 1}},
    };
    return specs;
}

std::string str(const Object& o, const std::string& key) {
    if (!o.has(key) || o.isNull(key)) return "";
    return o.get(key).toString();
}

int64_t num(const Object& o, const std::string& key) {
    if (!o.has(key) || !o.get(key).isInteger()) return 0;
    return o.getValue<int64_t>(key);
}

Array::Ptr arrayOf(const Reply& reply, const std::string& key) {
    Array::Ptr array = reply.body->getArray(key);
    return array ? array : Array::Ptr(new Array);
}

std::string jsonText(const Object& o, int indent = 2) {
    std::ostringstream out;
    o.stringify(out, static_cast<unsigned>(indent));
    return out.str();
}

std::string jsonText(const Array& a) {
    std::ostringstream out;
    a.stringify(out);
    return out.str();
}

std::string urlEncode(const std::string& text) {
    std::string out;
    Poco::URI::encode(text, "&=+?#/ ", out);
    return out;
}

int64_t intOption(const Parsed& p, const std::string& name) {
    const std::string text = p.get(name);
    int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        throw UsageError("option --" + name + " needs an integer, not '" + text + "'");
    }
    return value;
}

// Runs one command once the connection is set up.
class Commands {
  public:
    Commands(const Parsed& p, CliEnvironment& env, Transport& transport, bool json)
        : p_(p), env_(env), transport_(transport), json_(json) {}

    int run(const std::string& command) {
        const auto& w = p_.words;
        if (command == "users list") return list("/api/v1/users", "users", usersTable);
        if (command == "users show") return show("/api/v1/users/" + urlEncode(w[2]), userLines);
        if (command == "users add") {
            Object body;
            body.set("id", w[2]);
            body.set("password", newPassword(w[2]));
            body.set("role", p_.has("admin") ? "admin" : "user");
            if (p_.has("email")) body.set("email", p_.get("email"));
            if (p_.has("node")) body.set("default_node", p_.get("node"));
            if (p_.has("resolution")) body.set("resolution", p_.get("resolution"));
            if (p_.has("no-cover")) body.set("cover_page", false);
            if (p_.has("attachment")) body.set("attachment_format", p_.get("attachment"));
            return change("POST", "/api/v1/users", body, "user " + w[2] + " added");
        }
        if (command == "users passwd") {
            Object body;
            body.set("password", newPassword(w[2]));
            return change("PATCH", "/api/v1/users/" + urlEncode(w[2]), body,
                          "password of " + w[2] + " changed");
        }
        if (command == "users set") {
            Object body;
            if (p_.has("email")) body.set("email", p_.get("email"));
            if (p_.has("node")) body.set("default_node", p_.get("node"));
            if (p_.has("resolution")) body.set("resolution", p_.get("resolution"));
            if (p_.has("role")) body.set("role", p_.get("role"));
            if (p_.has("attachment")) body.set("attachment_format", p_.get("attachment"));
            if (p_.has("cover")) {
                const std::string cover = p_.get("cover");
                if (cover != "yes" && cover != "no") throw UsageError("--cover takes yes or no");
                body.set("cover_page", cover == "yes");
            }
            if (body.size() == 0) throw UsageError("users set: nothing to change");
            return change("PATCH", "/api/v1/users/" + urlEncode(w[2]), body,
                          "user " + w[2] + " changed");
        }
        if (command == "nodes list") return list("/api/v1/nodes", "nodes", nodesTable);
        if (command == "nodes show") return show("/api/v1/nodes/" + urlEncode(w[2]), nodeLines);
        if (command == "nodes add" || command == "nodes set") {
            const bool add = command == "nodes add";
            Object body;
            if (add) {
                if (!p_.has("url") || !p_.has("secret")) {
                    throw UsageError("nodes add needs --url and --secret");
                }
                body.set("id", w[2]);
            }
            if (p_.has("url")) body.set("url", p_.get("url"));
            if (p_.has("secret")) body.set("secret", p_.get("secret"));
            for (const char* name : {"priority", "keep-free", "kill-time-ms", "max-dials",
                                     "max-connected-tries", "busy-retry-ms", "failure-retry-ms"}) {
                if (!p_.has(name)) continue;
                std::string field = name;
                for (char& c : field) c = c == '-' ? '_' : c;
                body.set(field, intOption(p_, name));
            }
            if (!add && body.size() == 0) throw UsageError("nodes set: nothing to change");
            return change(add ? "POST" : "PATCH",
                          add ? "/api/v1/nodes" : "/api/v1/nodes/" + urlEncode(w[2]), body,
                          "node " + w[2] + (add ? " added" : " changed"));
        }
        if (command == "priority show") return list("/api/v1/priority", "order", priorityTable);
        if (command == "priority set") {
            Array order;
            for (size_t i = 2; i < w.size(); ++i) order.add(w[i]);
            Object body;
            body.set("order", order);
            Reply reply = call("PUT", "/api/v1/priority", body);
            if (reply.status != 200) return refused(reply);
            return printList(reply, "order", priorityTable);
        }
        if (command == "jobs list") {
            std::string query =
                "?limit=" +
                (p_.has("limit") ? std::to_string(intOption(p_, "limit")) : std::string("100"));
            if (p_.has("owner")) query += "&owner=" + urlEncode(p_.get("owner"));
            if (p_.has("state")) query += "&state=" + urlEncode(p_.get("state"));
            if (p_.has("active")) query += "&active=1";
            return list("/api/v1/jobs" + query, "jobs", jobsTable);
        }
        if (command == "jobs show") return show("/api/v1/jobs/" + urlEncode(w[2]), jobLines);
        if (command == "jobs cancel" || command == "jobs retry") {
            const std::string verb = command.substr(5);
            Reply reply = call("POST", "/api/v1/jobs/" + urlEncode(w[2]) + "/" + verb, Object());
            if (reply.status != 200) return refused(reply);
            if (json_) {
                *env_.out << jsonText(*reply.body) << "\n";
            } else if (verb == "cancel" && str(*reply.body, "cancel") == "requested") {
                *env_.out << "job " << w[2] << ": cancel requested; node "
                          << str(*reply.body, "node") << " is aborting the call\n";
            } else {
                *env_.out << "job " << w[2] << " is now " << str(*reply.body, "state") << "\n";
            }
            return kExitOk;
        }
        if (command == "records") {
            std::string query =
                "?limit=" +
                (p_.has("limit") ? std::to_string(intOption(p_, "limit")) : std::string("100"));
            if (p_.has("node")) query += "&node=" + urlEncode(p_.get("node"));
            if (p_.has("number")) query += "&number=" + urlEncode(p_.get("number"));
            if (p_.has("direction")) query += "&direction=" + urlEncode(p_.get("direction"));
            if (p_.has("job")) query += "&job=" + std::to_string(intOption(p_, "job"));
            for (const char* name : {"since", "until"}) {
                if (!p_.has(name)) continue;
                auto ms = parseDateMs(p_.get(name));
                if (!ms)
                    throw UsageError("--" + std::string(name) + ": not a date: " + p_.get(name));
                query += "&" + std::string(name) + "_ms=" + std::to_string(*ms);
            }
            return list("/api/v1/records" + query, "records", recordsTable);
        }
        if (command == "audit") {
            std::string query =
                "?limit=" +
                (p_.has("limit") ? std::to_string(intOption(p_, "limit")) : std::string("100"));
            return list("/api/v1/audit" + query, "entries", auditTable);
        }
        throw UsageError("unknown command");
    }

  private:
    using TableFormat = std::string (*)(const Array&);
    using LinesFormat = std::string (*)(const Object&);

    Reply call(const std::string& method, const std::string& path, const Object& body) {
        return transport_.send(method, path, method == "GET" ? "" : jsonText(body, 0));
    }

    int refused(const Reply& reply) {
        *env_.err << "fax-admin: " << reply.error() << "\n";
        return reply.status == 401 || reply.status == 403 ? kExitAuth : kExitRefused;
    }

    int printList(const Reply& reply, const std::string& key, TableFormat format) {
        Array::Ptr items = arrayOf(reply, key);
        *env_.out << (json_ ? jsonText(*items) + "\n" : format(*items));
        return kExitOk;
    }

    int list(const std::string& path, const std::string& key, TableFormat format) {
        Reply reply = call("GET", path, Object());
        if (reply.status != 200) return refused(reply);
        return printList(reply, key, format);
    }

    int show(const std::string& path, LinesFormat format) {
        Reply reply = call("GET", path, Object());
        if (reply.status != 200) return refused(reply);
        *env_.out << (json_ ? jsonText(*reply.body) + "\n" : format(*reply.body));
        return kExitOk;
    }

    int change(const std::string& method, const std::string& path, const Object& body,
               const std::string& done) {
        Reply reply = call(method, path, body);
        if (reply.status != 200 && reply.status != 201) return refused(reply);
        *env_.out << (json_ ? jsonText(*reply.body) : done) << "\n";
        return kExitOk;
    }

    std::string newPassword(const std::string& user) {
        std::string password;
        if (env_.stdinIsTty && env_.promptPassword) {
            password = env_.promptPassword("New password for " + user + ": ");
            if (env_.promptPassword("Again: ") != password) {
                throw UsageError("the two passwords differ");
            }
        } else if (!std::getline(*env_.in, password)) {
            throw UsageError("no new password for " + user + " on stdin");
        }
        if (password.empty()) throw UsageError("the new password is empty");
        return password;
    }

    static std::string usersTable(const Array& users) {
        std::vector<std::vector<std::string>> rows;
        for (size_t i = 0; i < users.size(); ++i) {
            auto u = users.getObject(static_cast<unsigned>(i));
            rows.push_back({str(*u, "id"), str(*u, "role"), str(*u, "email"),
                            str(*u, "default_node"), str(*u, "resolution"),
                            u->optValue<bool>("cover_page", true) ? "yes" : "no"});
        }
        return formatTable({"ID", "ROLE", "EMAIL", "NODE", "RESOLUTION", "COVER"}, rows);
    }

    static std::string userLines(const Object& u) {
        return formatTable({"FIELD", "VALUE"}, {{"id", str(u, "id")},
                                                {"role", str(u, "role")},
                                                {"email", str(u, "email")},
                                                {"default_node", str(u, "default_node")},
                                                {"resolution", str(u, "resolution")},
                                                {"cover_page", str(u, "cover_page")}});
    }

    static std::string linesText(const Object& node) {
        std::string text;
        Array::Ptr lines = node.getArray("lines");
        for (size_t i = 0; lines && i < lines->size(); ++i) {
            auto l = lines->getObject(static_cast<unsigned>(i));
            if (!text.empty()) text += " ";
            text += str(*l, "id") + ":" + str(*l, "state");
            if (num(*l, "job_id") > 0) text += "(job " + std::to_string(num(*l, "job_id")) + ")";
        }
        return text.empty() ? "-" : text;
    }

    static std::string nodesTable(const Array& nodes) {
        std::vector<std::vector<std::string>> rows;
        for (size_t i = 0; i < nodes.size(); ++i) {
            auto n = nodes.getObject(static_cast<unsigned>(i));
            rows.push_back({str(*n, "id"), str(*n, "priority"),
                            n->optValue<bool>("online", false) ? "online" : "offline",
                            linesText(*n), str(*n, "keep_free"), str(*n, "url"),
                            formatTimeMs(num(*n, "last_heartbeat_ms"))});
        }
        return formatTable(
            {"ID", "PRIORITY", "STATE", "LINES", "KEEP-FREE", "URL", "LAST-HEARTBEAT"}, rows);
    }

    static std::string nodeLines(const Object& n) {
        std::vector<std::vector<std::string>> rows;
        for (const char* key :
             {"id", "url", "priority", "keep_free", "kill_time_ms", "max_dials",
              "max_connected_tries", "busy_retry_ms", "failure_retry_ms", "software"}) {
            rows.push_back({key, str(n, key)});
        }
        rows.push_back({"online", n.optValue<bool>("online", false) ? "yes" : "no"});
        rows.push_back({"lines", linesText(n)});
        rows.push_back({"last_heartbeat", formatTimeMs(num(n, "last_heartbeat_ms"))});
        return formatTable({"FIELD", "VALUE"}, rows);
    }

    static std::string priorityTable(const Array& order) {
        std::vector<std::vector<std::string>> rows;
        for (size_t i = 0; i < order.size(); ++i) {
            auto n = order.getObject(static_cast<unsigned>(i));
            rows.push_back({str(*n, "priority"), str(*n, "id")});
        }
        return formatTable({"PRIORITY", "NODE"}, rows);
    }

    static std::vector<std::string> jobRow(const Object& j) {
        return {str(j, "id"),
                str(j, "owner"),
                str(j, "number"),
                str(j, "state"),
                str(j, "pages_sent") + "/" + str(j, "pages_total"),
                str(j, "dials"),
                str(j, "node"),
                str(j, "last_result"),
                formatTimeMs(num(j, "updated_ms"))};
    }

    static std::string jobsTable(const Array& jobs) {
        std::vector<std::vector<std::string>> rows;
        for (size_t i = 0; i < jobs.size(); ++i) {
            rows.push_back(jobRow(*jobs.getObject(static_cast<unsigned>(i))));
        }
        return formatTable(
            {"ID", "OWNER", "NUMBER", "STATE", "PAGES", "DIALS", "NODE", "RESULT", "UPDATED"},
            rows);
    }

    static std::string jobLines(const Object& j) {
        std::vector<std::vector<std::string>> rows;
        for (const char* key : {"id", "submission_id", "subject", "owner", "number", "state",
                                "priority", "dials", "connected_tries", "pages_total", "pages_sent",
                                "node", "line", "last_result", "last_reason"}) {
            rows.push_back({key, str(j, key)});
        }
        for (const char* key : {"created_ms", "updated_ms", "not_before_ms", "kill_at_ms"}) {
            std::string name = key;
            rows.push_back({name.substr(0, name.size() - 3), formatTimeMs(num(j, key))});
        }
        std::string text = formatTable({"FIELD", "VALUE"}, rows);
        std::vector<std::vector<std::string>> attempts;
        Array::Ptr list = j.getArray("attempts");
        for (size_t i = 0; list && i < list->size(); ++i) {
            auto a = list->getObject(static_cast<unsigned>(i));
            attempts.push_back({str(*a, "number"), str(*a, "node"), str(*a, "line"),
                                formatTimeMs(num(*a, "dispatched_ms")),
                                formatTimeMs(num(*a, "ended_ms")), str(*a, "result"),
                                str(*a, "pages"), str(*a, "reason")});
        }
        if (!attempts.empty()) {
            text += "\nAttempts:\n" + formatTable({"#", "NODE", "LINE", "DISPATCHED", "ENDED",
                                                   "RESULT", "PAGES", "REASON"},
                                                  attempts);
        }
        return text;
    }

    static std::string recordsTable(const Array& records) {
        std::vector<std::vector<std::string>> rows;
        for (size_t i = 0; i < records.size(); ++i) {
            auto r = records.getObject(static_cast<unsigned>(i));
            rows.push_back(
                {formatTimeMs(num(*r, "started_ms")), str(*r, "direction"), str(*r, "node"),
                 str(*r, "line"), str(*r, "number"), num(*r, "job_id") ? str(*r, "job_id") : "-",
                 str(*r, "result"), str(*r, "pages") + "/" + str(*r, "pages_total"),
                 std::to_string(num(*r, "duration_ms") / 1000) + "s", str(*r, "record_id")});
        }
        return formatTable({"STARTED", "DIR", "NODE", "LINE", "NUMBER", "JOB", "RESULT", "PAGES",
                            "DURATION", "RECORD"},
                           rows);
    }

    static std::string auditTable(const Array& entries) {
        std::vector<std::vector<std::string>> rows;
        for (size_t i = 0; i < entries.size(); ++i) {
            auto e = entries.getObject(static_cast<unsigned>(i));
            std::string changes;
            if (Object::Ptr c = e->getObject("changes")) {
                changes = jsonText(*c, 0);
            } else {
                changes = str(*e, "changes");
            }
            rows.push_back({formatTimeMs(num(*e, "time_ms")), str(*e, "admin"), str(*e, "client"),
                            str(*e, "action"), str(*e, "target"), changes});
        }
        return formatTable({"TIME", "ADMIN", "CLIENT", "ACTION", "TARGET", "CHANGES"}, rows);
    }

    const Parsed& p_;
    CliEnvironment& env_;
    Transport& transport_;
    const bool json_;
};

// Command line over environment over the INI file.
Connection resolveConnection(const Parsed& p, CliEnvironment& env) {
    Connection connection;
    auto fromEnv = [&](const char* name) -> std::optional<std::string> {
        return env.getenv ? env.getenv(name) : std::nullopt;
    };
    std::string configPath = p.get("config");
    const bool explicitConfig = !configPath.empty();
    if (!explicitConfig) {
        if (auto home = fromEnv("HOME")) configPath = *home + "/.config/faxgate/admin.ini";
    }
    std::map<std::string, std::string> file;
    if (!configPath.empty() && std::filesystem::exists(configPath)) {
        try {
            Poco::AutoPtr<Poco::Util::IniFileConfiguration> ini(
                new Poco::Util::IniFileConfiguration(configPath));
            for (const char* key : {"url", "user", "password"}) {
                if (ini->has(key)) file[key] = ini->getString(key);
            }
        } catch (const Poco::Exception& e) {
            throw UsageError("cannot read " + configPath + ": " + e.displayText());
        }
    } else if (explicitConfig) {
        throw UsageError("config file " + configPath + " does not exist");
    }
    auto pick = [&](const char* option, const char* variable, const char* key,
                    std::string& target) {
        if (option && p.has(option)) {
            target = p.get(option);
        } else if (auto value = fromEnv(variable)) {
            target = *value;
        } else if (file.count(key)) {
            target = file[key];
        }
    };
    pick("url", "FAXGATE_URL", "url", connection.url);
    pick("user", "FAXGATE_USER", "user", connection.user);
    pick(nullptr, "FAXGATE_PASSWORD", "password", connection.password);
    if (connection.user.empty()) {
        throw UsageError("no user: give --user, FAXGATE_USER or 'user' in " +
                         (configPath.empty() ? std::string("the config file") : configPath));
    }
    if (p.has("password-stdin")) {
        if (!std::getline(*env.in, connection.password)) {
            throw UsageError("--password-stdin: no password on stdin");
        }
        if (!connection.password.empty() && connection.password.back() == '\r') {
            connection.password.pop_back();
        }
    } else if (connection.password.empty()) {
        if (!env.stdinIsTty || !env.promptPassword) {
            throw UsageError(
                "no password: set FAXGATE_PASSWORD, 'password' in the config file, "
                "or use --password-stdin");
        }
        connection.password = env.promptPassword("Password for " + connection.user + ": ");
    }
    return connection;
}

}  // namespace

std::string formatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> widths(headers.size());
    for (size_t c = 0; c < headers.size(); ++c) widths[c] = headers[c].size();
    for (const auto& row : rows) {
        for (size_t c = 0; c < row.size() && c < widths.size(); ++c) {
            widths[c] = std::max(widths[c], row[c].size());
        }
    }
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
        std::string text;
        for (size_t c = 0; c < widths.size(); ++c) {
            const std::string cell = c < cells.size() ? cells[c] : "";
            text += cell;
            if (c + 1 < widths.size()) text += std::string(widths[c] - cell.size() + 2, ' ');
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out += text + "\n";
    };
    line(headers);
    for (const auto& row : rows) line(row);
    return out;
}

std::optional<int64_t> parseDateMs(const std::string& text) {
    if (!text.empty() &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        int64_t value = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error == std::errc() && end == text.data() + text.size() && text.size() > 8) {
            return value;
        }
        return std::nullopt;
    }
    std::tm tm{};
    int consumed = 0;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &consumed) != 3) {
        return std::nullopt;
    }
    std::string rest = text.substr(static_cast<size_t>(consumed));
    if (!rest.empty()) {
        if (rest[0] != ' ' && rest[0] != 'T') return std::nullopt;
        int used = 0;
        const int fields = std::sscanf(rest.c_str() + 1, "%2d:%2d%n", &hour, &minute, &used);
        if (fields != 2) return std::nullopt;
        std::string tail = rest.substr(1 + static_cast<size_t>(used));
        if (!tail.empty()) {
            int usedSeconds = 0;
            if (std::sscanf(tail.c_str(), ":%2d%n", &second, &usedSeconds) != 1 ||
                static_cast<size_t>(usedSeconds) != tail.size()) {
                return std::nullopt;
            }
        }
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 ||
        year < 1970) {
        return std::nullopt;
    }
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    tm.tm_isdst = -1;
    const std::time_t seconds = std::mktime(&tm);
    if (seconds == static_cast<std::time_t>(-1)) return std::nullopt;
    return static_cast<int64_t>(seconds) * 1000;
}

std::string formatTimeMs(int64_t ms) {
    if (ms <= 0) return "-";
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    localtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
    return text;
}

std::string readPasswordNoEcho(const std::string& prompt) {
    std::cerr << prompt << std::flush;
    termios old{};
    const bool terminal = tcgetattr(STDIN_FILENO, &old) == 0;
    if (terminal) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string password;
    std::getline(std::cin, password);
    if (terminal) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::cerr << "\n";
    return password;
}

int runAdminCli(const std::vector<std::string>& args, CliEnvironment& env) {
    Parsed parsed;
    std::string command;
    try {
        parsed = parseArgs(args);
        const auto& w = parsed.words;
        if (w.empty()) {
            if (parsed.has("help")) {
                *env.out << kUsage;
                return kExitOk;
            }
            throw UsageError("no command given");
        }
        const auto& specs = commandSpecs();
        command = w[0];
        if (!specs.count(command)) {
            if (w.size() < 2) {
                if (parsed.has("help") &&
                    (w[0] == "users" || w[0] == "nodes" || w[0] == "priority" || w[0] == "jobs")) {
                    for (const auto& [name, spec] : specs) {
                        if (name.rfind(w[0] + " ", 0) == 0)
                            *env.out << "fax-admin " << spec.usage << "\n";
                    }
                    return kExitOk;
                }
                throw UsageError("unknown or incomplete command '" + w[0] + "'");
            }
            command = w[0] + " " + w[1];
        }
        auto spec = specs.find(command);
        if (spec == specs.end()) throw UsageError("unknown command '" + command + "'");
        if (parsed.has("help")) {
            *env.out << "usage: fax-admin [global options] " << spec->second.usage << "\n";
            return kExitOk;
        }
        if (w.size() < spec->second.minWords || w.size() > spec->second.maxWords) {
            throw UsageError("usage: fax-admin " + spec->second.usage);
        }
        for (const auto& [name, value] : parsed.options) {
            if (!kGlobalOptions.count(name) && !spec->second.options.count(name)) {
                throw UsageError("option --" + name + " does not apply to '" + command + "'");
            }
        }
    } catch (const UsageError& e) {
        *env.err << "fax-admin: " << e.what() << "\n(fax-admin --help lists the commands)\n";
        return kExitUsage;
    }
    try {
        // nodes add/set take --url for the node: the gateway URL then comes from elsewhere.
        Parsed forConnection = parsed;
        if (command == "nodes add" || command == "nodes set") forConnection.options.erase("url");
        const Connection connection = resolveConnection(forConnection, env);
        std::unique_ptr<Transport> transport;
        try {
            transport =
                env.connect ? env.connect(connection) : std::make_unique<HttpTransport>(connection);
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
        Commands commands(parsed, env, *transport, parsed.has("json"));
        return commands.run(command);
    } catch (const UsageError& e) {
        *env.err << "fax-admin: " << e.what() << "\n";
        return kExitUsage;
    } catch (const ConnectError& e) {
        *env.err << "fax-admin: " << e.what() << "\n";
        return kExitConnect;
    }
}

}  // namespace faxgate::admin
