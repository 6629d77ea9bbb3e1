//! Job targets: things and thing groups, written as AWS ARNs.

use core::fmt;

/// One target of a job: a thing or a thing group (its transitive members).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// `arn:aws:iot:<region>:<account>:thing/<name>`.
    Thing(String),
    /// `arn:aws:iot:<region>:<account>:thinggroup/<name>`.
    Group(String),
}

/// Region and account written into the ARNs this crate produces.
pub const ARN_PREFIX: &str = "arn:aws:iot:us-east-1:000000000000:";

impl Target {
    /// Parse `arn:aws:iot:<region>:<account>:thing/<name>` or `…:thinggroup/<name>`; the short
    /// forms `thing/<name>` and `thinggroup/<name>` are accepted too.
    pub fn parse(arn: &str) -> Option<Self> {
        let resource = match arn.strip_prefix("arn:") {
            Some(rest) => {
                let mut parts = rest.splitn(5, ':');
                let (partition, service) = (parts.next()?, parts.next()?);
                let (_region, _account) = (parts.next()?, parts.next()?);
                if partition.is_empty() || service != "iot" {
                    return None;
                }
                parts.next()?
            }
            None => arn,
        };
        let (kind, name) = resource.split_once('/')?;
        if name.is_empty() || name.contains('/') {
            return None;
        }
        match kind {
            "thing" => Some(Self::Thing(name.to_string())),
            "thinggroup" => Some(Self::Group(name.to_string())),
            _ => None,
        }
    }

    /// The name of the thing or group.
    pub fn name(&self) -> &str {
        match self {
            Self::Thing(n) | Self::Group(n) => n,
        }
    }

    /// The full ARN.
    pub fn arn(&self) -> String {
        self.to_string()
    }
}

/// Where a full ARN points: its partition, region and account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnScope {
    /// `aws`, `aws-cn`, `aws-us-gov`.
    pub partition: String,
    /// The region, e.g. `eu-west-1`.
    pub region: String,
    /// The 12-digit account id.
    pub account: String,
}

impl ArnScope {
    /// The scope of `arn:PARTITION:iot:REGION:ACCOUNT:RESOURCE`; `None` for a short form
    /// (`thing/NAME`) or anything that is not an IoT ARN.
    pub fn of(arn: &str) -> Option<Self> {
        let mut parts = arn.strip_prefix("arn:")?.splitn(5, ':');
        let (partition, service) = (parts.next()?, parts.next()?);
        let (region, account) = (parts.next()?, parts.next()?);
        parts.next()?;
        (!partition.is_empty() && service == "iot").then(|| Self {
            partition: partition.to_string(),
            region: region.to_string(),
            account: account.to_string(),
        })
    }
}

impl fmt::Display for ArnScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "partition {}, region {}, account {}",
            self.partition, self.region, self.account
        )
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Thing(n) => write!(f, "{ARN_PREFIX}thing/{n}"),
            Self::Group(n) => write!(f, "{ARN_PREFIX}thinggroup/{n}"),
        }
    }
}

impl serde::Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("not a thing or thing-group ARN: {text}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_round_trip() {
        let t = Target::parse("arn:aws:iot:eu-west-1:123456789012:thinggroup/fleet-a").unwrap();
        assert_eq!(t, Target::Group("fleet-a".into()));
        assert_eq!(
            Target::parse("thing/dev-1"),
            Some(Target::Thing("dev-1".into()))
        );
        assert_eq!(
            Target::parse(&Target::Thing("x".into()).arn()),
            Some(Target::Thing("x".into()))
        );
        for bad in [
            "",
            "thing/",
            "device/x",
            "arn:aws:s3:::bucket/x",
            "thing/a/b",
            "arn:aws:iot:r:a",
        ] {
            assert_eq!(Target::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn arn_scopes() {
        let scope = ArnScope::of("arn:aws-cn:iot:cn-north-1:123456789012:thing/d").unwrap();
        assert_eq!(
            (
                scope.partition.as_str(),
                scope.region.as_str(),
                scope.account.as_str()
            ),
            ("aws-cn", "cn-north-1", "123456789012")
        );
        for none in [
            "thing/d",
            "arn:aws:s3:::b/k",
            "arn:aws:iot:r:a",
            "arn::iot:r:a:thing/d",
        ] {
            assert_eq!(ArnScope::of(none), None, "{none}");
        }
    }
}
