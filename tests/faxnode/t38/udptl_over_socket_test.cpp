// UDPTL datagrams through the RTP module's UDP socket (rtp_socket.h), which the T.38 driver
// reuses for its UDPTL port: on 127.0.0.1 and ::1, a sender whose every fourth datagram is
// withheld, and a receiver that still delivers every IFP packet in order from redundancy.
#include <gtest/gtest.h>

#include <vector>

#include "faxnode/rtp/rtp_socket.h"
#include "faxnode/t38/udptl_session.h"

namespace faxgate::node::t38 {
namespace {

// A range of high ports apart from the RTP socket tests' range.
constexpr uint16_t kMinPort = 41200;
constexpr uint16_t kMaxPort = 41299;
constexpr int kPackets = 20;

void exchangeOver(const std::string& host) {
    rtp::RtpSocket senderSocket(host, kMinPort, kMaxPort);
    rtp::RtpSocket receiverSocket(host, kMinPort, kMaxPort);
    senderSocket.setRemote(Poco::Net::SocketAddress(host, receiverSocket.localPort()));

    UdptlSession sender({});  // redundancy depth 3
    UdptlSession receiver({});
    int sent = 0;
    for (int n = 0; n < kPackets; ++n) {
        const std::vector<uint8_t> ifp = {0xc0, 0x01, 0x80, 0x00, 0x00, static_cast<uint8_t>(n)};
        const std::vector<uint8_t> datagram = sender.send(ifp);
        if (n % 4 == 1) continue;  // lost on the way
        ASSERT_TRUE(senderSocket.send(datagram));
        ++sent;
    }

    std::vector<ReceivedIfp> delivered;
    std::vector<uint8_t> buffer(1500);
    Poco::Net::SocketAddress from;
    for (int received = 0; received < sent; ++received) {
        const std::size_t size = receiverSocket.receive(buffer, 2000, from);
        ASSERT_GT(size, 0u) << "datagram " << received << " did not arrive";
        EXPECT_EQ(receiver.receive(std::span<const uint8_t>(buffer.data(), size), delivered),
                  UdptlParseError::kNone);
    }
    ASSERT_EQ(delivered.size(), static_cast<std::size_t>(kPackets));
    for (int n = 0; n < kPackets; ++n) {
        EXPECT_EQ(delivered[n].sequence, n);
        EXPECT_EQ(delivered[n].ifp.back(), n);
        EXPECT_EQ(delivered[n].recovered(), n % 4 == 1);
    }
    EXPECT_EQ(receiver.stats().lost, 0u);
}

TEST(UdptlOverSocketTest, IPv4Loopback) { exchangeOver("127.0.0.1"); }

TEST(UdptlOverSocketTest, IPv6Loopback) { exchangeOver("::1"); }

}  // namespace
}  // namespace faxgate::node::t38
