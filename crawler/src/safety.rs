//! Address safety: the crawler must never be turned against the machine it runs on or the
//! network behind it (SSRF). Every host is resolved and its addresses classified before a
//! request, for redirects too, and the HTTP client's own resolver applies the same rule, so a
//! name that resolves differently at connect time is still refused.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use url::Url;

/// Which kinds of non-public address may be crawled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    pub allow_loopback: bool,
    pub allow_private: bool,
}

impl AddressPolicy {
    /// Why `ip` may not be crawled, or `None` when it may. Unspecified, multicast and broadcast
    /// addresses are always refused (connecting to 0.0.0.0 reaches the local host).
    pub fn refusal(&self, ip: IpAddr) -> Option<&'static str> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        let kind = match ip {
            IpAddr::V4(a) => {
                let o = a.octets();
                if a.is_unspecified() || a.is_broadcast() || a.is_multicast() {
                    return Some("unspecified, broadcast or multicast");
                } else if a.is_loopback() {
                    "loopback"
                } else if a.is_private() || (o[0] == 100 && (o[1] & 0xc0) == 64) {
                    "private"
                } else if a.is_link_local() {
                    "link-local"
                } else {
                    return None;
                }
            }
            IpAddr::V6(a) => {
                let s = a.segments();
                if a.is_unspecified() || a.is_multicast() {
                    return Some("unspecified or multicast");
                } else if a.is_loopback() {
                    "loopback"
                } else if (s[0] & 0xfe00) == 0xfc00 {
                    "private"
                } else if (s[0] & 0xffc0) == 0xfe80 {
                    "link-local"
                } else {
                    return None;
                }
            }
        };
        let allowed = match kind {
            "loopback" => self.allow_loopback,
            _ => self.allow_private,
        };
        (!allowed).then_some(kind)
    }

    /// Resolves the URL's host and checks every address it resolves to.
    pub async fn check_url(&self, url: &Url) -> Result<(), String> {
        let host = url.host_str().ok_or("URL has no host")?;
        let port = url.port_or_known_default().unwrap_or(80);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect();
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
}
