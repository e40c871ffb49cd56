// fax-admin: the administrator's command line for a faxgate gateway. Thin on purpose: wires
// the real terminal, environment and HTTP transport into runAdminCli (admin_cli.h), which
// documents the commands and the exit codes.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "admin-tool/admin_cli.h"

int main(int argc, char** argv) {
    using namespace faxgate::admin;
    CliEnvironment environment;
    environment.out = &std::cout;
    environment.err = &std::cerr;
    environment.in = &std::cin;
    environment.stdinIsTty = isatty(STDIN_FILENO) != 0;
    environment.getenv = [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (!value) return std::nullopt;
        return std::string(value);
    };
    environment.promptPassword = readPasswordNoEcho;
    std::vector<std::string> args(argv + 1, argv + argc);
    return runAdminCli(args, environment);
}
