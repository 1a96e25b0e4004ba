//! The optional per-ERO IP allow-list: an ERO with ranges configured may connect only from
//! them; an ERO without any may connect from anywhere (its certificate is still required).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ier_domain::EroId;

/// An IPv4 or IPv6 network in CIDR notation (`203.0.113.0/24`, `2001:db8::/32`); a bare
/// address is a single host.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

/// Why a string is not a CIDR network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpNetError {
    #[error("is not an IP address or CIDR network")]
    NotAnAddress,
    #[error("has a prefix length too long for its address family")]
    PrefixTooLong,
    #[error("has host bits set after the prefix (write the network address)")]
    HostBitsSet,
}

impl IpNet {
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, IpNetError> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(IpNetError::PrefixTooLong);
        }
        let net = Self { addr, prefix };
        if bits(addr) & !net.mask() != 0 {
            return Err(IpNetError::HostBitsSet);
        }
        Ok(net)
    }

    fn width(&self) -> u32 {
        if self.addr.is_ipv4() { 32 } else { 128 }
    }

    fn mask(&self) -> u128 {
        let width = self.width();
        let full = if width == 32 { u128::from(u32::MAX) } else { u128::MAX };
        if self.prefix == 0 { 0 } else { full & !((1u128 << (width - u32::from(self.prefix))) - 1) }
    }

    /// Whether `ip` is in the network. IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) count
    /// as their IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_ipv4() == self.addr.is_ipv4() && bits(ip) & self.mask() == bits(self.addr)
    }
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

impl FromStr for IpNet {
    type Err = IpNetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| IpNetError::NotAnAddress)?;
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().map_err(|_| IpNetError::PrefixTooLong)?
            }
            Some(_) => return Err(IpNetError::NotAnAddress),
            None if addr.is_ipv4() => 32,
            None => 128,
        };
        Self::new(addr, prefix)
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl fmt::Debug for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IpNet({self})")
    }
}

/// Per-ERO IP allow-lists. EROs not in it are unrestricted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpAllowList {
    by_ero: BTreeMap<EroId, Vec<IpNet>>,
}

impl IpAllowList {
    /// No restrictions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Restricts `ero` to `nets` (added to any already given). An empty `nets` is ignored; it
    /// does not lock the ERO out (revoke its certificates for that).
    pub fn allow(&mut self, ero: EroId, nets: impl IntoIterator<Item = IpNet>) -> &mut Self {
        let nets: Vec<IpNet> = nets.into_iter().collect();
        if !nets.is_empty() {
            self.by_ero.entry(ero).or_default().extend(nets);
        }
        self
    }

    /// Whether `ero` may connect from `ip`.
    pub fn permits(&self, ero: &EroId, ip: IpAddr) -> bool {
        match self.by_ero.get(ero) {
            None => true,
            Some(nets) => nets.iter().any(|n| n.contains(ip)),
        }
    }

    /// Whether `ero` has an allow-list at all.
    pub fn is_restricted(&self, ero: &EroId) -> bool {
        self.by_ero.contains_key(ero)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_contain_what_they_should() {
        let net: IpNet = "203.0.113.0/24".parse().unwrap();
        assert!(net.contains(ip("203.0.113.7")));
        assert!(net.contains(ip("::ffff:203.0.113.7")));
        assert!(!net.contains(ip("203.0.114.7")));
        assert!(!net.contains(ip("2001:db8::1")));
        let host: IpNet = "127.0.0.1".parse().unwrap();
        assert!(host.contains(ip("127.0.0.1")) && !host.contains(ip("127.0.0.2")));
        let v6: IpNet = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")) && !v6.contains(ip("2001:db9::1")));
        let any: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(any.contains(ip("8.8.8.8")));
    }

    #[test]
    fn bad_networks_are_refused_specifically() {
        assert_eq!("10.0.0.1/8".parse::<IpNet>(), Err(IpNetError::HostBitsSet));
        assert_eq!("10.0.0.0/33".parse::<IpNet>(), Err(IpNetError::PrefixTooLong));
        assert_eq!("10.0.0/8".parse::<IpNet>(), Err(IpNetError::NotAnAddress));
        assert_eq!("10.0.0.0/x".parse::<IpNet>(), Err(IpNetError::NotAnAddress));
    }

    #[test]
    fn unrestricted_unless_listed() {
        let cardiff = EroId::parse("cardiff").unwrap();
        let glasgow = EroId::parse("glasgow-vjb").unwrap();
        let mut list = IpAllowList::new();
        list.allow(cardiff.clone(), ["10.0.0.0/8".parse().unwrap()]);
        assert!(list.permits(&cardiff, ip("10.1.2.3")));
        assert!(!list.permits(&cardiff, ip("127.0.0.1")));
        assert!(list.permits(&glasgow, ip("127.0.0.1")));
    }
}
