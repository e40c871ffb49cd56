// Every configuration key of the fax node, with its default, declared here and only here
// (Postfix's mail_params.h habit). The file is INI (Poco::Util::IniFileConfiguration):
//
//   [node]      id, listen_address, port, public_url, spool_dir, max_request_bytes,
//               shutdown_grace_ms
//   [gateway]   url, secret, heartbeat_interval_ms, retry_max_ms
//   [line.<id>] driver, number, station_id, header, max_bit_rate, ecm, and the sim
//               driver's sim.dial_ms, sim.page_ms, sim.busy, sim.no_answer, sim.no_carrier,
//               sim.fail, sim.fail_after_pages, sim.remote_csid, sim.exchange_dir
//
// Validation happens once, at load; every error names the section and key, e.g.
// `[gateway] heartbeat_interval_ms: expected an integer 100..600000, got "fast"`. Unknown
// keys are errors too, so a typo does not silently fall back to a default.
// See contrib/node-1.ini for a commented example.
#pragma once

#include <Poco/Util/AbstractConfiguration.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "faxnode/lines/line.h"
#include "faxnode/lines/sim_line.h"

namespace faxgate::node {

class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// One `[line.<id>]` section.
struct LineConfig {
    std::string driver = "sim";  // driver: the only driver of this version is "sim"
    LineSettings line;           // id (from the section name), number, station_id, header,
                                 // max_bit_rate, ecm; defaults in lines/line.h
    SimSettings sim;             // sim.*; defaults in lines/sim_line.h
};

struct NodeConfig {
    // [node]
    std::string nodeId;                            // id: required, [A-Za-z0-9_-], 1..64 chars
    std::string listenAddress = "127.0.0.1";       // listen_address: IP the node API binds to
    int port = 8081;                               // port: 0 = any free port (tests)
    std::string publicUrl;                         // public_url: how the gateway reaches us;
                                                   //   empty = http://<listen_address>:<port>
    std::string spoolDir;                          // spool_dir: required; records and job TIFFs
    int64_t maxRequestBytes = 64LL * 1024 * 1024;  // max_request_bytes: larger bodies get 413
    int64_t shutdownGraceMs = 5000;                // shutdown_grace_ms: calls in progress at
                                     //   stop may finish this long, then are cancelled

    // [gateway]
    std::string gatewayUrl = "http://127.0.0.1:8080";  // url: base URL of the gateway (http)
    std::string gatewaySecret;                         // secret: required; shared with the gateway
    int64_t heartbeatIntervalMs = 2000;                // heartbeat_interval_ms: until the gateway
                                                       //   says otherwise in its hello answer
    int64_t retryMaxMs = 30000;                        // retry_max_ms: back-off cap while the
                                                       //   gateway is unreachable

    // [line.<id>] sections, in the order of their IDs; at least one.
    std::vector<LineConfig> lines;
};

// Reads and validates an INI file. Throws ConfigError naming the file, or the section and key.
NodeConfig loadNodeConfig(const std::string& path);

// Validates configuration already loaded (tests build one from a string). Throws ConfigError.
NodeConfig parseNodeConfig(const Poco::Util::AbstractConfiguration& ini);

// The URL the gateway should use for this node: public_url, or one built from the address
// and the port actually bound (which differs from `port` when that is 0).
std::string effectivePublicUrl(const NodeConfig& config, int boundPort);

}  // namespace faxgate::node
