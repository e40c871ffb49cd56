// fax-admin's command line: option parsing (one table of known options), the command table
// (registry_commands.cpp, settings_commands.cpp), --help, the connection settings, then the
// command; see admin_cli.h.
#include "admin-tool/admin_cli.h"

#include <Poco/AutoPtr.h>
#include <Poco/URI.h>
#include <Poco/Util/IniFileConfiguration.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "admin-tool/cli_command.h"

namespace faxgate::admin {

namespace {

// Options that take a value; everything else starting with -- is a flag from kFlags.
const std::set<std::string> kValueOptions = {"url",
                                             "user",
                                             "config",
                                             "email",
                                             "node",
                                             "resolution",
                                             "attachment",
                                             "secret",
                                             "priority",
                                             "keep-free",
                                             "kill-time-ms",
                                             "max-dials",
                                             "max-connected-tries",
                                             "busy-retry-ms",
                                             "failure-retry-ms",
                                             "owner",
                                             "for-user",
                                             "state",
                                             "number",
                                             "direction",
                                             "job",
                                             "since",
                                             "until",
                                             "limit",
                                             "role",
                                             "cover",
                                             "file",
                                             "output",
                                             "ca-file"};
const std::set<std::string> kFlags = {"json",     "password-stdin", "help",    "admin",
                                      "no-cover", "active",         "insecure"};
// Short spellings.
const std::map<std::string, std::string> kShortOptions = {
    {"-h", "help"}, {"-f", "file"}, {"-o", "output"}};
// Options every command takes.
const std::set<std::string> kGlobalOptions = {
    "url", "user", "config", "json", "password-stdin", "help", "ca-file", "insecure"};

std::string optionName(const std::string& name) {
    for (const auto& [shortName, longName] : kShortOptions) {
        if (longName == name) return shortName + "/--" + name;
    }
    return "--" + name;
}

ParsedArgs parseArgs(const std::vector<std::string>& args) {
    ParsedArgs parsed;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        std::string name;
        std::optional<std::string> value;
        if (auto shortOption = kShortOptions.find(arg); shortOption != kShortOptions.end()) {
            name = shortOption->second;
        } else if (arg.rfind("--", 0) == 0 && arg.size() > 2) {
            name = arg.substr(2);
            if (auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name.resize(eq);
            }
        } else {
            parsed.words.push_back(arg);
            continue;
        }
        if (kFlags.count(name)) {
            if (value) throw UsageError("option --" + name + " takes no value");
            parsed.options[name] = "1";
        } else if (kValueOptions.count(name)) {
            if (!value) {
                if (i + 1 >= args.size())
                    throw UsageError("option " + optionName(name) + " needs a value");
                value = args[++i];
            }
            parsed.options[name] = *value;
        } else {
            throw UsageError("unknown option " + arg);
        }
    }
    return parsed;
}

const CommandTable& commands() {
    static const CommandTable table = [] {
        CommandTable t;
        addRegistryCommands(t);
        addSettingsCommands(t);
        return t;
    }();
    return table;
}

const CommandSpec* findCommand(const std::string& name) {
    for (const CommandSpec& spec : commands()) {
        if (spec.name == name) return &spec;
    }
    return nullptr;
}

std::vector<const CommandSpec*> groupCommands(const std::string& group) {
    std::vector<const CommandSpec*> found;
    for (const CommandSpec& spec : commands()) {
        if (spec.name.rfind(group + " ", 0) == 0) found.push_back(&spec);
    }
    return found;
}

std::string synopsis(const CommandSpec& spec) {
    return spec.usage.substr(0, spec.usage.find(": "));
}

std::string usageText() {
    std::string text =
        "usage: fax-admin [--url URL] [--user USER] [--config FILE] [--password-stdin] [--json]\n"
        "                 [--ca-file FILE] [--insecure] COMMAND ...\n"
        "\n"
        "Commands (fax-admin COMMAND --help, or GROUP --help, says more):\n";
    // Grouped by their first word, the groups in the order they first appear.
    std::vector<std::string> groups;
    for (const CommandSpec& spec : commands()) {
        const std::string group = spec.name.substr(0, spec.name.find(' '));
        if (std::find(groups.begin(), groups.end(), group) == groups.end()) groups.push_back(group);
    }
    for (const std::string& group : groups) {
        for (const CommandSpec& spec : commands()) {
            if (spec.name.substr(0, spec.name.find(' ')) == group) {
                text += "  " + synopsis(spec) + "\n";
            }
        }
    }
    text +=
        "\n"
        "nodes: the registered nodes and their live state; node ... ID: one node's settings\n"
        "document (docs/settings.md). Documents are JSON; -o yaml prints YAML, and -f reads\n"
        "either. Every set and rollback stores a new version; history lists them for any scope.\n"
        "\n"
        "The gateway and credentials come from --url/--user, else FAXGATE_URL, FAXGATE_USER,\n"
        "FAXGATE_PASSWORD, else ~/.config/faxgate/admin.ini (keys url, user, password, ca_file).\n"
        "The password is prompted for on a terminal, or read from stdin with --password-stdin;\n"
        "a new user's password (users add, users passwd) likewise, or from the next stdin line.\n"
        "HTTPS: --ca-file FILE (or FAXGATE_CA_FILE, ca_file) trusts a private CA or the\n"
        "gateway's self-signed certificate; --insecure skips the check (not for production).\n"
        "DATE: YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]' (local time) or milliseconds since 1970.\n"
        "Exit: 0 ok, 1 refused by the gateway (or a version conflict, or a node refused\n"
        "settings), 2 usage, 3 cannot connect (or certificate not trusted), 4 authentication.\n";
    return text;
}

// Command line over environment over the INI file.
Connection resolveConnection(const ParsedArgs& p, CliEnvironment& env) {
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
            for (const char* key : {"url", "user", "password", "ca_file"}) {
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
    pick("ca-file", "FAXGATE_CA_FILE", "ca_file", connection.caFile);
    connection.insecure = p.has("insecure");
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

// Finds the command the words name; prints group help and returns null for `GROUP --help`.
const CommandSpec* resolveCommand(ParsedArgs& parsed, CliEnvironment& env) {
    auto& w = parsed.words;
    if (w.size() == 1 && w[0] == "nodes") w.push_back("list");  // `fax-admin nodes`
    if (w.size() >= 2) {
        if (const CommandSpec* spec = findCommand(w[0] + " " + w[1])) return spec;
    }
    if (const CommandSpec* spec = findCommand(w[0])) return spec;
    const auto group = groupCommands(w[0]);
    if (group.empty()) throw UsageError("unknown command '" + w[0] + "'");
    if (w.size() == 1 && parsed.has("help")) {
        for (const CommandSpec* spec : group) *env.out << "fax-admin " << spec->usage << "\n";
        return nullptr;
    }
    std::string verbs;
    for (const CommandSpec* spec : group) {
        verbs += (verbs.empty() ? "" : ", ") + spec->name.substr(w[0].size() + 1);
    }
    if (w.size() == 1) throw UsageError("'" + w[0] + "' needs one of: " + verbs);
    throw UsageError("unknown command '" + w[0] + " " + w[1] + "': '" + w[0] +
                     "' takes one of: " + verbs);
}

}  // namespace

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
    ParsedArgs parsed;
    const CommandSpec* spec = nullptr;
    try {
        parsed = parseArgs(args);
        if (parsed.words.empty()) {
            if (parsed.has("help")) {
                *env.out << usageText();
                return kExitOk;
            }
            throw UsageError("no command given");
        }
        spec = resolveCommand(parsed, env);
        if (!spec) return kExitOk;  // group help printed
        if (parsed.has("help")) {
            *env.out << "usage: fax-admin [global options] " << spec->usage << "\n";
            return kExitOk;
        }
        const size_t words = parsed.words.size();
        if (words < spec->minWords || words > spec->maxWords) {
            throw UsageError("usage: fax-admin " + synopsis(*spec));
        }
        for (const auto& [name, value] : parsed.options) {
            if (!kGlobalOptions.count(name) && !spec->options.count(name)) {
                throw UsageError("option " + optionName(name) + " does not apply to '" +
                                 spec->name + "'");
            }
        }
    } catch (const UsageError& e) {
        *env.err << "fax-admin: " << e.what() << "\n(fax-admin --help lists the commands)\n";
        return kExitUsage;
    }
    try {
        // nodes add/set take --url for the node: the gateway URL then comes from elsewhere.
        ParsedArgs forConnection = parsed;
        if (spec->name == "nodes add" || spec->name == "nodes set") {
            forConnection.options.erase("url");
        }
        const Connection connection = resolveConnection(forConnection, env);
        std::unique_ptr<Transport> transport;
        try {
            transport =
                env.connect ? env.connect(connection) : std::make_unique<HttpTransport>(connection);
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
        if (connection.insecure && connection.url.rfind("https:", 0) == 0) {
            *env.err << "fax-admin: warning: --insecure: the gateway's certificate is not "
                        "checked; anyone in between can read your password\n";
        }
        CommandContext context(parsed, env, *transport);
        return spec->run(context);
    } catch (const UsageError& e) {
        *env.err << "fax-admin: " << e.what() << "\n";
        return kExitUsage;
    } catch (const ConnectError& e) {
        *env.err << "fax-admin: " << e.what() << "\n";
        return kExitConnect;
    } catch (const std::exception& e) {  // an answer we cannot print (DocumentError, ...)
        *env.err << "fax-admin: " << e.what() << "\n";
        return kExitRefused;
    }
}

}  // namespace faxgate::admin
