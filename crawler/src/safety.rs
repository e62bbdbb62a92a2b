//! Address safety: the crawler must never be turned against the machine it runs on or the
//! network behind it (SSRF). Every host is resolved and its addresses classified before a
//! request, for redirects too, and the HTTP client's own resolver applies the same rule, so a
//! name that resolves differently at connect time is still refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use url::Url;

/// Which kinds of non-public address may be crawled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    pub allow_loopback: bool,
    pub allow_private: bool,
}

impl AddressPolicy {
    /// Why `ip` may not be crawled, or `None` when it may. Unspecified (0.0.0.0/8, `::`),
    /// multicast, broadcast and reserved addresses are always refused (connecting to 0.0.0.0
    /// reaches the local host). An IPv6 address that carries an IPv4 one (IPv4-mapped and
    /// -compatible, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) is judged by the IPv4 address,
    /// since that is where the packets end up.
    pub fn refusal(&self, ip: IpAddr) -> Option<&'static str> {
        let kind = match ip {
            IpAddr::V4(a) => classify_v4(a),
            IpAddr::V6(a) => classify_v6(a),
        }?;
        let allowed = match kind {
            "loopback" => self.allow_loopback,
            "private" | "link-local" => self.allow_private,
            _ => false,
        };
        (!allowed).then_some(kind)
    }

    /// Resolves the URL's host and checks every address it resolves to.
    pub async fn check_url(&self, url: &Url) -> Result<(), String> {
        self.check_url_with(url, &Default::default()).await
    }

    /// [`AddressPolicy::check_url`] where the names in `overrides` resolve to the given
    /// address instead of by DNS (`[crawler] resolve`): the address is judged all the same.
    pub async fn check_url_with(
        &self,
        url: &Url,
        overrides: &std::collections::BTreeMap<String, IpAddr>,
    ) -> Result<(), String> {
        let host = url.host_str().ok_or("URL has no host")?;
        let port = url.port_or_known_default().unwrap_or(80);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = match overrides.get(host) {
            Some(ip) => vec![SocketAddr::new(*ip, port)],
            None => tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| format!("cannot resolve {host}: {e}"))?
                .collect(),
        };
        if addrs.is_empty() {
            return Err(format!("{host} resolves to no address"));
        }
        for a in addrs {
            if let Some(kind) = self.refusal(a.ip()) {
                return Err(format!(
                    "refused: {host} resolves to {} ({kind} address not allowed by config)",
                    a.ip()
                ));
            }
        }
        Ok(())
    }
}

/// What kind of non-public IPv4 address `a` is; `None` for a public one.
fn classify_v4(a: Ipv4Addr) -> Option<&'static str> {
    let [o0, o1, o2, _] = a.octets();
    Some(if o0 == 0 || a.is_broadcast() || a.is_multicast() {
        // 0.0.0.0/8 is "this network": 0.1.2.3 reaches the local host on some systems.
        "unspecified, broadcast or multicast"
    } else if o0 >= 240 || (o0, o1, o2) == (192, 0, 0) || a.is_documentation() {
        // 240.0.0.0/4 reserved, 192.0.0.0/24 IETF protocol assignments, TEST-NETs.
        "reserved"
    } else if a.is_loopback() {
        "loopback"
    } else if a.is_private() || (o0 == 100 && (o1 & 0xc0) == 64) || (o0 == 198 && (o1 & 0xfe) == 18)
    {
        // RFC 1918, carrier-grade NAT 100.64.0.0/10, benchmarking 198.18.0.0/15.
        "private"
    } else if a.is_link_local() {
        "link-local"
    } else {
        return None;
    })
}

/// What kind of non-public IPv6 address `a` is; `None` for a public one.
fn classify_v6(a: Ipv6Addr) -> Option<&'static str> {
    let s = a.segments();
    if a.is_unspecified() || a.is_multicast() {
        return Some("unspecified or multicast");
    }
    if a.is_loopback() {
        return Some("loopback");
    }
    if let Some(v4) = embedded_ipv4(a) {
        return classify_v4(v4);
    }
    Some(if (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfec0 {
        // Unique local fc00::/7, deprecated site-local fec0::/10.
        "private"
    } else if (s[0], s[1], s[2]) == (0x64, 0xff9b, 1) {
        // Local-use NAT64 64:ff9b:1::/48 (RFC 8215): the IPv4 address is not recoverable.
        "private"
    } else if (s[0] & 0xffc0) == 0xfe80 {
        "link-local"
    } else if (s[0], s[1]) == (0x2001, 0xdb8) || s[..4] == [0x100, 0, 0, 0] {
        // Documentation 2001:db8::/32, discard-only 100::/64.
        "reserved"
    } else {
        return None;
    })
}

/// The IPv4 address an IPv6 one carries: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
/// `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:AABB:CCDD::/48`.
fn embedded_ipv4(a: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = a.segments();
    let v4 = |hi: u16, lo: u16| Some(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0, 0, hi, lo] => v4(hi, lo),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => v4(hi, lo),
        [0x2002, hi, lo, ..] => v4(hi, lo),
        _ => None,
    }
}

/// reqwest resolver that drops addresses the policy refuses (defence in depth: the name is
/// resolved again at connect time).
pub(crate) struct GuardedResolver(pub AddressPolicy);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| policy.refusal(a.ip()).is_none())
                .collect();
            if addrs.is_empty() {
                return Err(format!("refused: {host} has no address allowed by config").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

pub(crate) fn resolver(policy: AddressPolicy) -> Arc<GuardedResolver> {
    Arc::new(GuardedResolver(policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_non_public_addresses() {
        let strict = AddressPolicy::default();
        for a in ["127.0.0.2", "::1", "::ffff:127.0.0.1"] {
            assert_eq!(strict.refusal(a.parse().unwrap()), Some("loopback"), "{a}");
        }
        for a in [
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "fd00::1",
        ] {
            assert_eq!(strict.refusal(a.parse().unwrap()), Some("private"), "{a}");
        }
        for a in ["169.254.169.254", "fe80::1"] {
            assert_eq!(
                strict.refusal(a.parse().unwrap()),
                Some("link-local"),
                "{a}"
            );
        }
        assert!(strict.refusal("0.0.0.0".parse().unwrap()).is_some());
        assert_eq!(strict.refusal("93.184.216.34".parse().unwrap()), None);
        let demo = AddressPolicy {
            allow_loopback: true,
            allow_private: false,
        };
        assert_eq!(demo.refusal("127.0.0.3".parse().unwrap()), None);
        assert_eq!(demo.refusal("10.0.0.1".parse().unwrap()), Some("private"));
        assert!(demo.refusal("0.0.0.0".parse().unwrap()).is_some());
    }

    fn kind(policy: &AddressPolicy, a: &str) -> Option<&'static str> {
        policy.refusal(a.parse().unwrap())
    }

    #[test]
    fn reserved_ranges_are_refused() {
        let strict = AddressPolicy::default();
        let open = AddressPolicy {
            allow_loopback: true,
            allow_private: true,
        };
        // Never crawlable, whatever the config.
        for a in ["0.0.0.1", "0.255.1.2", "255.255.255.255", "224.0.0.1"] {
            assert_eq!(
                kind(&open, a),
                Some("unspecified, broadcast or multicast"),
                "{a}"
            );
        }
        for a in [
            "240.0.0.1",
            "250.1.2.3",
            "192.0.0.8",
            "192.0.2.1",
            "2001:db8::1",
            "100::1",
        ] {
            assert_eq!(kind(&open, a), Some("reserved"), "{a}");
        }
        // Internal networks: refused unless private targets are allowed.
        for a in [
            "198.18.0.1",
            "198.19.255.254",
            "fec0::1",
            "feff::1",
            "64:ff9b:1::a00:1",
        ] {
            assert_eq!(kind(&strict, a), Some("private"), "{a}");
            assert_eq!(kind(&open, a), None, "{a}");
        }
        // Neighbours of the ranges stay public.
        for a in [
            "1.0.0.1",
            "198.17.255.1",
            "198.20.0.1",
            "192.0.1.1",
            "223.255.255.1",
        ] {
            assert_eq!(kind(&strict, a), None, "{a}");
        }
        assert_eq!(kind(&strict, "2606:2800:220:1:248:1893:25c8:1946"), None);
    }

    #[test]
    fn ipv4_inside_ipv6_is_judged_as_ipv4() {
        let strict = AddressPolicy::default();
        let cases = [
            ("::ffff:127.0.0.1", Some("loopback")),
            ("::ffff:10.0.0.1", Some("private")),
            ("::ffff:169.254.169.254", Some("link-local")),
            ("::127.0.0.1", Some("loopback")),
            ("::10.1.2.3", Some("private")),
            ("::0.0.0.2", Some("unspecified, broadcast or multicast")),
            ("64:ff9b::127.0.0.1", Some("loopback")),
            ("64:ff9b::a9fe:a9fe", Some("link-local")),
            ("64:ff9b::c0a8:101", Some("private")),
            ("2002:7f00:1::", Some("loopback")),
            ("2002:a00:1:1::1", Some("private")),
            ("2002:a9fe:a9fe::", Some("link-local")),
            ("2002:0:0::1", Some("unspecified, broadcast or multicast")),
            // Public IPv4 inside stays public: NAT64 and 6to4 do reach the internet.
            ("64:ff9b::5db8:d822", None),
            ("2002:5db8:d822::1", None),
            ("::ffff:93.184.216.34", None),
        ];
        for (a, want) in cases {
            assert_eq!(kind(&strict, a), want, "{a}");
        }
        // `::` and `::1` are IPv6's own, not 0.0.0.0 and 0.0.0.1.
        assert_eq!(kind(&strict, "::1"), Some("loopback"));
        assert_eq!(kind(&strict, "::"), Some("unspecified or multicast"));
    }
}
