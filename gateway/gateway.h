// fax-gateway as one object: opens the store and starts, in order, the submission writer, the
// conversion workers, the scheduler, the outbox, the HTTP listener for nodes and the SMTP
// listener; stops them in reverse order. Owns every component; the components only know
// each other through the references and callbacks wired here. The configuration it runs with
// is the file's with the values registered at the admin API in their place
// (gateway_settings.h).
#pragma once

#include <cstdint>
#include <memory>

#include "gateway/gateway_config.h"
#include "gateway/store/store.h"

namespace faxgate::gateway {

class Gateway {
  public:
    explicit Gateway(GatewayConfig config);
    ~Gateway();
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    void start();
    void stop();

    uint16_t smtpPort() const;
    uint16_t httpPort() const;
    uint16_t imapPort() const;  // 0 when imap.enabled is false
    Store& store();

  private:
    struct Parts;
    std::unique_ptr<Parts> parts_;
};

}  // namespace faxgate::gateway
