// What every fax-admin command uses to ask the gateway and print the answer; see
// cli_command.h.
#include <Poco/URI.h>

#include <charconv>
#include <iostream>

#include "admin-tool/cli_command.h"
#include "admin-tool/yaml_json.h"

namespace faxgate::admin {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string fieldText(const Object& object, const std::string& key) {
    if (!object.has(key) || object.isNull(key)) return "";
    return object.get(key).toString();
}

int64_t fieldInt(const Object& object, const std::string& key) {
    if (!object.has(key) || !object.get(key).isInteger()) return 0;
    return object.getValue<int64_t>(key);
}

Array::Ptr replyArray(const Reply& reply, const std::string& key) {
    if (reply.list) return reply.list;
    Array::Ptr array = reply.body ? reply.body->getArray(key) : nullptr;
    return array ? array : Array::Ptr(new Array);
}

std::string urlEncode(const std::string& text) {
    std::string out;
    Poco::URI::encode(text, "&=+?#/ %", out);
    return out;
}

Reply CommandContext::call(const std::string& method, const std::string& path, const Object& body) {
    return transport_.send(method, path,
                           method == "GET" ? "" : jsonToText(Object::Ptr(new Object(body)), 0));
}

int CommandContext::refused(const Reply& reply) {
    *env.err << "fax-admin: " << reply.error() << "\n";
    return reply.status == 401 || reply.status == 403 ? kExitAuth : kExitRefused;
}

int CommandContext::printList(const Reply& reply, const std::string& key,
                              const TableFormat& format) {
    Array::Ptr items = replyArray(reply, key);
    *env.out << (json ? jsonToText(items, 0) + "\n" : format(*items));
    return kExitOk;
}

int CommandContext::list(const std::string& path, const std::string& key,
                         const TableFormat& format) {
    Reply reply = call("GET", path);
    if (reply.status != 200) return refused(reply);
    return printList(reply, key, format);
}

int CommandContext::show(const std::string& path, const LinesFormat& format) {
    Reply reply = call("GET", path);
    if (reply.status != 200) return refused(reply);
    *env.out << (json ? jsonToText(reply.body) + "\n" : format(*reply.body));
    return kExitOk;
}

int CommandContext::change(const std::string& method, const std::string& path, const Object& body,
                           const std::string& done) {
    Reply reply = call(method, path, body);
    if (reply.status != 200 && reply.status != 201) return refused(reply);
    *env.out << (json ? jsonToText(reply.body) : done) << "\n";
    return kExitOk;
}

std::string CommandContext::newPassword(const std::string& user) {
    std::string password;
    if (env.stdinIsTty && env.promptPassword) {
        password = env.promptPassword("New password for " + user + ": ");
        if (env.promptPassword("Again: ") != password) {
            throw UsageError("the two passwords differ");
        }
    } else if (!std::getline(*env.in, password)) {
        throw UsageError("no new password for " + user + " on stdin");
    }
    if (password.empty()) throw UsageError("the new password is empty");
    return password;
}

int64_t CommandContext::intOption(const std::string& name) const {
    const std::string text = args.get(name);
    int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        throw UsageError("option --" + name + " needs an integer, not '" + text + "'");
    }
    return value;
}

}  // namespace faxgate::admin
