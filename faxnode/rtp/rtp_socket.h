// The UDP socket of one call's RTP stream (Poco::Net::DatagramSocket), for the SIP line
// driver: bound to an even port of the node's RTP port range (RTP convention: RTCP would
// take the odd port above), sending to the far end's address from the SDP answer, and
// receiving with a time-out so the media thread keeps its 20 ms clock. Bytes only: what the
// datagrams mean is rtp_stream.h's business.
//
// Threading: setRemote() before the media starts; after that one thread may send() while
// another receive()s. A media error never throws out of send()/receive(): a fax call's fate
// is decided by the T.30 timers, not by one lost datagram.
#pragma once

#include <Poco/Net/DatagramSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace faxgate::node::rtp {

class RtpSocket {
  public:
    // Binds to `host` (a local address, e.g. "127.0.0.1" or "::1") on a free even port in
    // [minPort, maxPort]; successive sockets start their search at different places of the
    // range, so a port just freed is not reused at once. Throws std::runtime_error naming
    // the range when no even port in it can be bound.
    RtpSocket(const std::string& host, uint16_t minPort, uint16_t maxPort);
    RtpSocket(const RtpSocket&) = delete;
    RtpSocket& operator=(const RtpSocket&) = delete;

    uint16_t localPort() const { return localPort_; }

    void setRemote(const Poco::Net::SocketAddress& remote) { remote_ = remote; }
    const std::optional<Poco::Net::SocketAddress>& remote() const { return remote_; }

    // Sends one datagram to the remote. False when no remote is set or the send failed.
    bool send(std::span<const uint8_t> datagram);

    // Waits up to `timeoutMs` for one datagram and copies it into `buffer`; returns its size,
    // or 0 when none came in time or receiving failed. `from` is set to the sender. A
    // datagram longer than `buffer` is cut to its size.
    std::size_t receive(std::span<uint8_t> buffer, int timeoutMs, Poco::Net::SocketAddress& from);

  private:
    Poco::Net::DatagramSocket socket_;
    uint16_t localPort_ = 0;
    std::optional<Poco::Net::SocketAddress> remote_;
};

}  // namespace faxgate::node::rtp
