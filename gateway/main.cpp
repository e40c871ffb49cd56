// fax-gateway: the central fax server. Thin: parses the command line, loads the config and
// runs the Gateway, or runs one of the offline set-up commands on the store (used before
// the admin API exists on a new site, and by the quickstart):
//
//   fax-gateway --config FILE                      run in the foreground until SIGINT/SIGTERM
//   fax-gateway --config FILE user add ID [--admin] [--email ADDR] [--node NODE]
//               [--resolution fine|normal] [--no-cover]      (password: first line of stdin)
//   fax-gateway --config FILE node add ID --url URL --secret SECRET [--priority N]
//               [--keep-free N]
//   fax-gateway --config FILE gateway-settings clear
//               registers an empty version of the gateway's settings (docs/settings.md), so
//               FILE alone counts again: the way back when a registered listener address keeps
//               the gateway (and so its admin API) from starting
//
// Exit codes: 0 ok, 1 runtime failure, 2 bad command line or config.
#include <Poco/ConsoleChannel.h>
#include <Poco/File.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <Poco/Timestamp.h>

#include <algorithm>
#include <csignal>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "gateway/gateway.h"
#include "gateway/gateway_config.h"
#include "gateway/store/password_hash.h"

using namespace faxgate::gateway;

namespace {

constexpr const char* kUsage =
    "usage: fax-gateway --config FILE\n"
    "       fax-gateway --config FILE user add ID [--admin] [--email ADDR] [--node NODE]\n"
    "                   [--resolution fine|normal] [--no-cover]   (password on stdin)\n"
    "       fax-gateway --config FILE node add ID --url URL --secret SECRET [--priority N]\n"
    "                   [--keep-free N] [--retry-busy-ms MS] [--retry-failure-ms MS]\n"
    "                   [--max-dials N] [--max-tries N] [--kill-time-ms MS]\n"
    "       fax-gateway --config FILE gateway-settings clear\n"
    "       fax-gateway --help | --version\n";

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void setUpLogging() {
    Poco::AutoPtr<Poco::PatternFormatter> format(
        new Poco::PatternFormatter("%Y-%m-%d %H:%M:%S.%i %p %s: %t"));
    format->setProperty("times", "local");
    Poco::AutoPtr<Poco::FormattingChannel> channel(
        new Poco::FormattingChannel(format, new Poco::ConsoleChannel(std::cerr)));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel("information");
}

// "--flag value" options after the positional words; flags without value map to "".
std::map<std::string, std::string> parseOptions(const std::vector<std::string>& args, size_t from,
                                                const std::vector<std::string>& withValue) {
    std::map<std::string, std::string> options;
    for (size_t i = from; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + arg + "'");
        bool takesValue = std::find(withValue.begin(), withValue.end(), arg) != withValue.end();
        if (takesValue) {
            if (i + 1 >= args.size()) throw UsageError(arg + " needs a value");
            options[arg] = args[++i];
        } else {
            options[arg] = "";
        }
    }
    return options;
}

int addUser(Store& store, const std::vector<std::string>& args) {
    if (args.size() < 3) throw UsageError("user add needs a user ID");
    auto options = parseOptions(args, 3, {"--email", "--node", "--resolution"});
    for (const auto& [name, value] : options) {
        if (name != "--admin" && name != "--email" && name != "--node" && name != "--resolution" &&
            name != "--no-cover") {
            throw UsageError("unknown option " + name);
        }
    }
    User user;
    user.id = args[2];
    user.role = options.count("--admin") ? Role::Admin : Role::User;
    user.email = options["--email"];
    user.defaultNode = options["--node"];
    user.resolution = options.count("--resolution") ? options["--resolution"] : "fine";
    user.coverPage = !options.count("--no-cover");
    if (user.resolution != "fine" && user.resolution != "normal") {
        throw UsageError("--resolution must be fine or normal");
    }
    std::string password;
    if (!std::getline(std::cin, password) || password.empty()) {
        throw UsageError("the password is read from the first line of standard input");
    }
    user.passwordHash = hashPassword(password);
    store.addUser(user);
    std::cout << "user " << user.id << " added (" << toString(user.role) << ")\n";
    return 0;
}

int addNode(Store& store, const std::vector<std::string>& args) {
    if (args.size() < 3) throw UsageError("node add needs a node ID");
    auto options =
        parseOptions(args, 3,
                     {"--url", "--secret", "--priority", "--keep-free", "--retry-busy-ms",
                      "--retry-failure-ms", "--max-dials", "--max-tries", "--kill-time-ms"});
    Node node;
    node.id = args[2];
    node.url = options["--url"];
    node.secret = options["--secret"];
    if (node.url.empty() || node.secret.empty())
        throw UsageError("node add needs --url and --secret");
    try {
        if (options.count("--priority")) node.priority = std::stoi(options["--priority"]);
        if (options.count("--keep-free"))
            node.keepLinesForReceive = std::stoi(options["--keep-free"]);
        if (options.count("--retry-busy-ms"))
            node.retry.busyRetryMs = std::stoll(options["--retry-busy-ms"]);
        if (options.count("--retry-failure-ms"))
            node.retry.failureRetryMs = std::stoll(options["--retry-failure-ms"]);
        if (options.count("--max-dials")) node.retry.maxDials = std::stoi(options["--max-dials"]);
        if (options.count("--max-tries"))
            node.retry.maxConnectedTries = std::stoi(options["--max-tries"]);
        if (options.count("--kill-time-ms"))
            node.retry.killTimeMs = std::stoll(options["--kill-time-ms"]);
    } catch (const std::exception&) {
        throw UsageError("--priority, --keep-free, --retry-*-ms and --max-* take whole numbers");
    }
    store.upsertNode(node);
    std::cout << "node " << node.id << " registered at priority " << node.priority << "\n";
    return 0;
}

// The registered gateway settings as a new, empty version, audited as the console's.
int clearGatewaySettings(Store& store, const std::string& configFile) {
    AuditEntry entry;
    entry.timeMs = Poco::Timestamp().epochMicroseconds() / 1000;
    entry.adminUser = "(console)";
    entry.clientAddress = "local";
    entry.action = "gateway.settings.clear";
    entry.target = "gateway";
    entry.changes = R"({"settings":"all registered values removed"})";
    entry.snapshot = SettingsSnapshot{"gateway", R"({"settings":{}})", std::nullopt};
    const int64_t version = store.replaceSettingsSecretsAudited("gateway", {}, entry);
    std::cout << "gateway settings: registered the empty version " << version << "; " << configFile
              << " alone counts from the next start\n";
    return 0;
}

int runGateway(GatewayConfig config) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    // Block the stop signals in every thread; the main thread waits for them below.
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    Gateway gateway(std::move(config));
    gateway.start();
    int signal = 0;
    sigwait(&signals, &signal);
    Poco::Logger::get("gateway").information("signal %d: stopping", signal);
    gateway.stop();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << kUsage;
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
        std::cout << "fax-gateway 0.1.0\n";
        return 0;
    }
    setUpLogging();
    try {
        if (args[0] != "--config" || args.size() < 2) throw UsageError("--config FILE comes first");
        GatewayConfig config = loadGatewayConfig(args[1]);
        std::vector<std::string> command(args.begin() + 2, args.end());
        if (command.empty()) return runGateway(std::move(config));

        Poco::File(config.dataDir).createDirectories();
        auto store = openSqliteStore(config.databasePath());
        if (command.size() >= 2 && command[0] == "user" && command[1] == "add") {
            return addUser(*store, command);
        }
        if (command.size() >= 2 && command[0] == "node" && command[1] == "add") {
            return addNode(*store, command);
        }
        if (command.size() == 2 && command[0] == "gateway-settings" && command[1] == "clear") {
            return clearGatewaySettings(*store, config.configFile);
        }
        throw UsageError("unknown command '" + command[0] + "'");
    } catch (const UsageError& e) {
        std::cerr << "fax-gateway: " << e.what() << "\n" << kUsage;
        return 2;
    } catch (const ConfigError& e) {
        std::cerr << "fax-gateway: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "fax-gateway: " << e.what() << "\n";
        return 1;
    }
}
