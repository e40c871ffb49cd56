// fax-admin's inside: the parsed command line, the table of commands and what a command
// gets to run (CommandContext). admin_cli.cpp parses and dispatches; the command groups live
// in registry_commands.cpp (users, nodes, priority, jobs, records, audit) and
// settings_commands.cpp (node settings, routing, user-nodes, gateway settings, versions).
//
// Threading: none; one command runs once per process.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "admin-tool/admin_cli.h"
#include "admin-tool/admin_client.h"

namespace faxgate::admin {

// A mistake on the command line or in an input file: exit 2.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct ParsedArgs {
    std::vector<std::string> words;              // the command words and its arguments
    std::map<std::string, std::string> options;  // long name -> value; flags map to "1"
    bool has(const std::string& name) const { return options.count(name) > 0; }
    std::string get(const std::string& name) const {
        auto it = options.find(name);
        return it == options.end() ? "" : it->second;
    }
};

class CommandContext;

// One command: its name ("users list", "history"), its help line, the options it takes
// besides the global ones, how many words it has (the name's included) and what it runs.
struct CommandSpec {
    std::string name;
    std::string usage;  // "users show ID: one user", shown by --help
    std::set<std::string> options;
    size_t minWords = 0;
    size_t maxWords = 0;  // SIZE_MAX: any number
    std::function<int(CommandContext&)> run;
};

using CommandTable = std::vector<CommandSpec>;

void addRegistryCommands(CommandTable& table);
void addSettingsCommands(CommandTable& table);

// What a running command has: its arguments, the terminal and the gateway; and the helpers
// every command uses to ask and to print.
class CommandContext {
  public:
    CommandContext(const ParsedArgs& args, CliEnvironment& environment, Transport& transport)
        : args(args), env(environment), json(args.has("json")), transport_(transport) {}

    const ParsedArgs& args;
    CliEnvironment& env;
    const bool json;  // --json: print the gateway's JSON instead of tables and sentences

    // The i-th word (0 = the command group).
    const std::string& word(size_t i) const { return args.words.at(i); }

    // One request; `body` is sent unless the method is GET.
    Reply call(const std::string& method, const std::string& path,
               const Poco::JSON::Object& body = Poco::JSON::Object());
    // Prints the gateway's refusal; exit 4 for 401/403, else 1.
    int refused(const Reply& reply);

    // GET `path`, then the array under `key` (or the body itself if it is an array) as a
    // table, or as JSON with --json.
    using TableFormat = std::function<std::string(const Poco::JSON::Array&)>;
    using LinesFormat = std::function<std::string(const Poco::JSON::Object&)>;
    int list(const std::string& path, const std::string& key, const TableFormat& format);
    int printList(const Reply& reply, const std::string& key, const TableFormat& format);
    // GET `path` and print the object (FIELD VALUE lines or JSON).
    int show(const std::string& path, const LinesFormat& format);
    // A change: `done` on success (200/201), the reply with --json.
    int change(const std::string& method, const std::string& path, const Poco::JSON::Object& body,
               const std::string& done);

    // A new user's password: prompted twice on a terminal, else the next stdin line.
    std::string newPassword(const std::string& user);
    // --NAME as an integer; UsageError if it is not one.
    int64_t intOption(const std::string& name) const;

  private:
    Transport& transport_;
};

// Field access that forgives missing keys: "" and 0.
std::string fieldText(const Poco::JSON::Object& object, const std::string& key);
int64_t fieldInt(const Poco::JSON::Object& object, const std::string& key);

// The array under `key` of the reply, or the reply itself if it was an array; never null.
Poco::JSON::Array::Ptr replyArray(const Reply& reply, const std::string& key);

// Percent-encodes a path segment or query value.
std::string urlEncode(const std::string& text);

}  // namespace faxgate::admin
