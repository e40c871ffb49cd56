// fax-node: the fax node program. Thin on purpose: parses the command line, loads the
// configuration (exit 2 with the reason if it is bad), sets up logging to stderr and runs
// FaxNode until SIGINT or SIGTERM, then stops it gracefully (exit 0). Exit 1 if the node
// cannot start (spool not writable, port in use, ...).
#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/Exception.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/PatternFormatter.h>
#include <signal.h>

#include <cstring>
#include <iostream>
#include <string>

#include "faxnode/node.h"

namespace {

void printUsage(std::ostream& out) {
    out << "usage: fax-node --config FILE\n"
           "       fax-node --help | --version\n"
           "\n"
           "Runs a faxgate fax node: takes jobs from the gateway over HTTP, sends them on its\n"
           "lines and reports each call back. FILE is an INI file (see contrib/node-1.ini).\n"
           "Stops cleanly on SIGINT or SIGTERM. Logs go to stderr.\n";
}

void setUpLogging() {
    // One line per event: time, level, source, text (the text carries the job ID).
    Poco::AutoPtr<Poco::PatternFormatter> formatter(
        new Poco::PatternFormatter("%Y-%m-%d %H:%M:%S.%i %p %s: %t"));
    formatter->setProperty("times", "local");
    Poco::AutoPtr<Poco::ConsoleChannel> console(new Poco::ConsoleChannel(std::cerr));
    Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(formatter, console));
    Poco::Logger::root().setChannel(channel);
    Poco::Logger::root().setLevel(Poco::Message::PRIO_INFORMATION);
}

}  // namespace

int main(int argc, char** argv) {
    std::string configPath;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            printUsage(std::cout);
            return 0;
        }
        if (arg == "--version") {
            std::cout << faxgate::node::kNodeSoftware << "\n";
            return 0;
        }
        if (arg == "--config" && i + 1 < argc) {
            configPath = argv[++i];
        } else if (arg.rfind("--config=", 0) == 0) {
            configPath = arg.substr(std::strlen("--config="));
        } else {
            std::cerr << "fax-node: unknown or incomplete option \"" << arg << "\"\n";
            printUsage(std::cerr);
            return 2;
        }
    }
    if (configPath.empty()) {
        std::cerr << "fax-node: --config FILE is required\n";
        printUsage(std::cerr);
        return 2;
    }

    faxgate::node::NodeConfig config;
    try {
        config = faxgate::node::loadNodeConfig(configPath);
    } catch (const faxgate::node::ConfigError& e) {
        std::cerr << "fax-node: bad configuration: " << e.what() << "\n";
        return 2;
    }

    setUpLogging();
    Poco::Logger& log = Poco::Logger::get("faxnode");

    // Block the stop signals in every thread (threads inherit the mask) and wait for them
    // here with sigwait: no work in a signal handler.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
    // A gateway that hangs up mid-answer must not kill the process.
    signal(SIGPIPE, SIG_IGN);

    faxgate::node::FaxNode node(config);
    try {
        node.start();
    } catch (const Poco::Exception& e) {
        log.fatal("cannot start: %s", e.displayText());
        return 1;
    } catch (const std::exception& e) {
        log.fatal("cannot start: %s", std::string(e.what()));
        return 1;
    }

    int signalNumber = 0;
    sigwait(&stopSignals, &signalNumber);
    log.information("%s received", std::string(strsignal(signalNumber)));
    node.stop();
    return 0;
}
