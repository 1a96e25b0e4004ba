//! Who the client is, behind load balancers: `X-Forwarded-For` and
//! `X-Request-Id` are believed only from the proxies an operator names
//! (`IER_TRUSTED_PROXIES`, CIDRs). A request from a trusted proxy comes from
//! the right-most address in its `X-Forwarded-For` that is not itself a
//! trusted proxy; from anyone else, from the connection's own address, and
//! its headers are ignored (a client could otherwise send a new address per
//! request and never be limited). With none named, the headers are never
//! believed. Rate limits key an IPv6 client by its /64 ([`limit_key`]): one
//! household or host holds a whole /64, so per-address keys would not limit it.

use std::net::IpAddr;
use std::sync::OnceLock;

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<(IpAddr, u8)>,
}

impl TrustedProxies {
    /// None: the forwarding headers are never believed.
    pub fn none() -> Self {
        Self::default()
    }

    /// Comma-separated CIDRs (`10.0.0.0/8, 192.0.2.7, fd00::/8`); an address alone is a /32 or /128.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (addr, bits) = match item.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (item, None),
            };
            let ip: IpAddr = addr.parse().map_err(|_| format!("{item:?} is not an IP address or CIDR"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                Some(b) => b
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| format!("{item:?}: the prefix must be 0 to {max}"))?,
                None => max,
            };
            nets.push((ip, bits));
        }
        Ok(Self { nets })
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets.iter().any(|(net, bits)| same_prefix(canonical(*net), ip, *bits))
    }

    /// The client of a request from `peer` carrying `forwarded` (`X-Forwarded-For`).
    pub fn client(&self, peer: IpAddr, forwarded: Option<&str>) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let Some(forwarded) = forwarded else { return peer };
        let mut client = peer;
        for hop in forwarded.rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) if self.contains(ip) => client = ip,
                Ok(ip) => return ip,
                // A hop that is not an address: stop at the last one believed.
                Err(_) => return client,
            }
        }
        client
    }
}

/// The key a rate limit counts a client under: the address itself for IPv4
/// (and IPv4 mapped into IPv6), its /64 for IPv6.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn same_prefix(net: IpAddr, ip: IpAddr, bits: u8) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - u32::from(bits)) };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - u32::from(bits)) };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

static TRUSTED: OnceLock<TrustedProxies> = OnceLock::new();

/// Name this process's trusted proxies (once, at start-up; later calls are ignored).
pub fn set_trusted_proxies(proxies: TrustedProxies) {
    let _ = TRUSTED.set(proxies);
}

/// This process's trusted proxies (none unless set).
pub fn trusted_proxies() -> &'static TrustedProxies {
    TRUSTED.get_or_init(TrustedProxies::none)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_client_is_the_right_most_address_not_a_trusted_proxy() {
        let p = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7").unwrap();
        let lb = ip("10.1.2.3");
        assert_eq!(p.client(lb, Some("203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(
            p.client(lb, Some("1.1.1.1, 203.0.113.9, 192.0.2.7")),
            ip("203.0.113.9"),
            "the client's own claim is ignored"
        );
        assert_eq!(p.client(lb, None), lb);
        assert_eq!(p.client(lb, Some("nonsense")), lb);
        // From anyone else the header is ignored, whatever it says.
        let stranger = ip("198.51.100.4");
        assert_eq!(p.client(stranger, Some("203.0.113.9")), stranger);
        assert_eq!(TrustedProxies::none().client(lb, Some("203.0.113.9")), lb, "none named: never believed");
    }

    #[test]
    fn cidrs_are_checked() {
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("fd00::/129").is_err());
        assert!(TrustedProxies::parse("nope").is_err());
        let p = TrustedProxies::parse("fd00::/8,127.0.0.1").unwrap();
        assert!(p.contains(ip("fd12::1")) && p.contains(ip("::ffff:127.0.0.1")) && !p.contains(ip("127.0.0.2")));
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), limit_key(ip("2001:db8:1:2:bbbb::9")));
        assert_ne!(limit_key(ip("2001:db8:1:2::1")), limit_key(ip("2001:db8:1:3::1")));
        assert_eq!(limit_key(ip("192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(limit_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }
}
