//! Who may publish and subscribe where on the service's MQTT endpoint: a device
//! authenticated as thing `T` only under `{root}/things/T/`, as on AWS IoT with the
//! recommended policy (`iot:Publish`/`iot:Subscribe` on `${iot:Connection.Thing.ThingName}`).

/// The prefix of everything thing `thing` may touch.
fn own_prefix(root: &str, thing: &str) -> String {
    format!("{root}/things/{thing}/")
}

/// Whether a device authenticated as `thing` may publish on `topic`: under its own prefix,
/// without wildcards (which MQTT forbids in a publish anyway).
pub(crate) fn may_publish(root: &str, thing: &str, topic: &str) -> bool {
    topic
        .strip_prefix(&own_prefix(root, thing))
        .is_some_and(|rest| !rest.is_empty() && !rest.contains(['+', '#']))
}

/// Whether a device authenticated as `thing` may subscribe to `filter`: every level up to
/// and including its thing name literal, wildcards only after it.
pub(crate) fn may_subscribe(root: &str, thing: &str, filter: &str) -> bool {
    filter
        .strip_prefix(&own_prefix(root, thing))
        .is_some_and(|rest| !rest.is_empty() && valid_filter(rest))
}

/// `#` only as the last level, `+` and `#` only as whole levels.
fn valid_filter(filter: &str) -> bool {
    let levels: Vec<&str> = filter.split('/').collect();
    levels.iter().enumerate().all(|(i, level)| match *level {
        "#" => i == levels.len() - 1,
        "+" => true,
        l => !l.contains(['+', '#']),
    })
}

/// Whether `topic` matches `filter` (`+` one level, `#` the rest).
pub(crate) fn matches(filter: &str, topic: &str) -> bool {
    let mut topic_levels = topic.split('/');
    for f in filter.split('/') {
        match (f, topic_levels.next()) {
            ("#", _) => return true,
            ("+", Some(_)) => {}
            (f, Some(level)) if f == level => {}
            _ => return false,
        }
    }
    topic_levels.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_publishes_only_on_its_own_topics() {
        assert!(may_publish("$aws", "d1", "$aws/things/d1/jobs/start-next"));
        assert!(may_publish("$aws", "d1", "$aws/things/d1/jobs/j/update"));
        assert!(may_publish(
            "$aws",
            "d1",
            "$aws/things/d1/streams/s/get/cbor"
        ));
        for topic in [
            "$aws/things/d2/jobs/start-next",
            "$aws/things/d1x/jobs/start-next",
            "$aws/things/d/jobs/start-next",
            "$aws/things/d1",
            "$aws/things/d1/",
            "$aws/things/+/jobs/get",
            "$aws/things/d1/jobs/+/update",
            "$aws/things/d1/#",
            "ota/things/d1/jobs/get",
            "other",
        ] {
            assert!(!may_publish("$aws", "d1", topic), "{topic}");
        }
    }

    #[test]
    fn a_device_subscribes_only_under_its_own_name() {
        for filter in [
            "$aws/things/d1/jobs/#",
            "$aws/things/d1/jobs/+/update/accepted",
            "$aws/things/d1/jobs/notify-next",
            "$aws/things/d1/#",
            "$aws/things/d1/streams/+/data/cbor",
        ] {
            assert!(may_subscribe("$aws", "d1", filter), "{filter}");
        }
        for filter in [
            "#",
            "$aws/#",
            "$aws/things/#",
            "$aws/things/+/jobs/#",
            "$aws/things/d2/jobs/#",
            "$aws/things/d1",
            "$aws/things/d1/",
            "$aws/things/d1/#/x",
            "$aws/things/d1/jobs+/x",
            "$aws/things/d1x/jobs/#",
        ] {
            assert!(!may_subscribe("$aws", "d1", filter), "{filter}");
        }
    }

    #[test]
    fn filters_match_as_mqtt_says() {
        assert!(matches("a/b/#", "a/b/c/d"));
        assert!(matches("a/b/#", "a/b"));
        assert!(matches("a/+/c", "a/x/c"));
        assert!(!matches("a/+/c", "a/x/y/c"));
        assert!(matches("a/b", "a/b"));
        assert!(!matches("a/b", "a/b/c"));
        assert!(!matches("a/b/c", "a/b"));
    }
}
