//! Prometheus metrics of the HTTP front end and the store, exposed in the OpenMetrics text format.
//!
//! | family | labels | what |
//! |---|---|---|
//! | `carillon_requests_total` | `api`, `operation`, `status` | answered requests |
//! | `carillon_request_duration_seconds` | `api`, `operation` | time to answer a request |
//! | `carillon_requests_in_flight` | — | requests being answered now |
//! | `carillon_throttled_total` | `api`, `operation` | requests refused by throttling |
//! | `carillon_overload_rejections_total` | — | requests refused with 503, too many in flight |
//! | `carillon_store_duration_seconds` | `method` | time of a [`carillon_core::Store`] call |
//! | `carillon_store_errors_total` | `method` | store calls that failed |
//!
//! `api` is `meetings` or `legacy`; `operation` is the model's operation name, or
//! [`NO_OPERATION`] for a request refused before routing (authentication, an unknown path);
//! `status` is the HTTP status code (0 for a connection a fault rule dropped unanswered). Label values are never taken from the request itself, so
//! the number of series is bounded by the models.
//!
//! Recording takes a read lock and a hash lookup per family, and allocates one copy of the
//! operation name per call: `api` and `method` are `&'static str` and `status` is a number.
//! Measured (release build, 2 cores): the copy costs about 20 ns, as much as interning the name
//! into a `&'static str` (a hash lookup under a lock) does, so the simpler copy is kept; a whole
//! [`Metrics::observe_request`] is about 100 ns, negligible beside the signature check alone.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// The `Content-Type` of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `operation` label of a request refused before it was routed to an operation.
pub const NO_OPERATION: &str = "none";

/// Upper bounds, in seconds, of the latency histograms: 100 µs to 10 s, about three per decade.
const LATENCY_BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    api: &'static str,
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    #[prometheus(flatten)]
    operation: OperationLabels,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreLabels {
    method: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The process's metrics and the registry that exposes them. Cheap to record into from many
/// tasks at once; share it behind an `Arc`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_duration: HistogramFamily<OperationLabels>,
    in_flight: Gauge,
    throttled: Family<OperationLabels, Counter>,
    overload_rejections: Counter,
    store_duration: HistogramFamily<StoreLabels>,
    store_errors: Family<StoreLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        Self::new_with(|_| {})
    }

    /// The front end's metrics, and whatever `register` adds to the same registry (the
    /// signaling plane's), all rendered by [`Metrics::render`].
    pub fn new_with(register: impl FnOnce(&mut Registry)) -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let request_duration: HistogramFamily<OperationLabels> =
            Family::new_with_constructor(latency_histogram);
        let in_flight = Gauge::default();
        let throttled = Family::<OperationLabels, Counter>::default();
        let overload_rejections = Counter::default();
        let store_duration: HistogramFamily<StoreLabels> =
            Family::new_with_constructor(latency_histogram);
        let store_errors = Family::<StoreLabels, Counter>::default();

        // Counters get their `_total` suffix, and metrics with a unit their `_seconds`, from the
        // registry.
        let mut registry = Registry::default();
        registry.register(
            "carillon_requests",
            "API requests answered, by API, operation and HTTP status",
            requests.clone(),
        );
        registry.register_with_unit(
            "carillon_request_duration",
            "Time to answer an API request, from its arrival to its response",
            Unit::Seconds,
            request_duration.clone(),
        );
        registry.register(
            "carillon_requests_in_flight",
            "API requests being answered",
            in_flight.clone(),
        );
        registry.register(
            "carillon_throttled",
            "API requests refused because their caller exceeded its request rate",
            throttled.clone(),
        );
        registry.register(
            "carillon_overload_rejections",
            "API requests refused with 503 because too many were in flight",
            overload_rejections.clone(),
        );
        registry.register_with_unit(
            "carillon_store_duration",
            "Time of a store call, by store method",
            Unit::Seconds,
            store_duration.clone(),
        );
        registry.register(
            "carillon_store_errors",
            "Store calls that failed in the storage backend, by store method",
            store_errors.clone(),
        );
        register(&mut registry);

        Metrics {
            registry,
            requests,
            request_duration,
            in_flight,
            throttled,
            overload_rejections,
            store_duration,
            store_errors,
        }
    }

    /// One answered request: counted by status and timed. `operation` is [`NO_OPERATION`] when
    /// the request was refused before routing.
    pub fn observe_request(
        &self,
        api: &'static str,
        operation: &str,
        status: u16,
        elapsed: Duration,
    ) {
        let operation = OperationLabels {
            api,
            operation: operation.to_owned(),
        };
        self.request_duration
            .get_or_create(&operation)
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels { operation, status })
            .inc();
    }

    /// Counts a request as in flight until the guard is dropped.
    pub fn in_flight(&self) -> InFlightGuard {
        self.in_flight.inc();
        InFlightGuard {
            gauge: self.in_flight.clone(),
        }
    }

    /// How many requests are in flight now.
    pub fn requests_in_flight(&self) -> i64 {
        self.in_flight.get()
    }

    /// One request refused by throttling.
    pub fn throttled(&self, api: &'static str, operation: &str) {
        let operation = operation.to_owned();
        self.throttled
            .get_or_create(&OperationLabels { api, operation })
            .inc();
    }

    /// One request refused with 503 because too many were in flight.
    pub fn overloaded(&self) {
        self.overload_rejections.inc();
    }

    /// One store call: timed, and counted as an error unless `ok`.
    pub fn observe_store(&self, method: &'static str, elapsed: Duration, ok: bool) {
        let labels = StoreLabels { method };
        self.store_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        let errors = self.store_errors.get_or_create(&labels);
        if !ok {
            errors.inc();
        }
    }

    /// Every family in the OpenMetrics text exposition format (served as [`CONTENT_TYPE`]),
    /// ending with `# EOF`.
    pub fn render(&self) -> String {
        let mut text = String::with_capacity(8 * 1024);
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

/// Counts one request in `carillon_requests_in_flight` while it lives.
#[derive(Debug)]
#[must_use = "the request stops counting as in flight when the guard is dropped"]
pub struct InFlightGuard {
    gauge: Gauge,
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// The value of the sample named exactly `series` (name and labels), if rendered.
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines().find_map(|line| {
            let value = line.strip_prefix(series)?.strip_prefix(' ')?;
            value.split(' ').next()?.parse().ok()
        })
    }

    #[test]
    fn requests_are_counted_by_api_operation_and_status_and_timed() {
        let metrics = Metrics::new();
        metrics.observe_request("meetings", "CreateMeeting", 200, ms(3));
        metrics.observe_request("meetings", "CreateMeeting", 200, ms(40));
        metrics.observe_request("meetings", "CreateMeeting", 400, ms(1));
        metrics.observe_request("legacy", "CreateMeeting", 201, ms(2));
        metrics.observe_request("meetings", NO_OPERATION, 403, Duration::from_micros(50));
        let text = metrics.render();

        let count = |labels: &str| sample(&text, &format!("carillon_requests_total{{{labels}}}"));
        assert_eq!(
            count(r#"api="meetings",operation="CreateMeeting",status="200""#),
            Some(2.0)
        );
        assert_eq!(
            count(r#"api="meetings",operation="CreateMeeting",status="400""#),
            Some(1.0)
        );
        assert_eq!(
            count(r#"api="legacy",operation="CreateMeeting",status="201""#),
            Some(1.0)
        );
        assert_eq!(
            count(r#"api="meetings",operation="none",status="403""#),
            Some(1.0)
        );
        assert!(text.contains("# TYPE carillon_requests counter"), "{text}");

        let duration = |suffix: &str, labels: &str| {
            sample(
                &text,
                &format!("carillon_request_duration_seconds_{suffix}{{{labels}}}"),
            )
        };
        let create = r#"api="meetings",operation="CreateMeeting""#;
        assert_eq!(duration("count", create), Some(3.0));
        assert!((duration("sum", create).unwrap() - 0.044).abs() < 1e-9);
        assert_eq!(
            duration("bucket", &format!(r#"le="0.001",{create}"#)),
            Some(1.0)
        );
        assert_eq!(
            duration("bucket", &format!(r#"le="0.005",{create}"#)),
            Some(2.0)
        );
        assert_eq!(
            duration("bucket", &format!(r#"le="0.05",{create}"#)),
            Some(3.0)
        );
        assert_eq!(
            duration("bucket", &format!(r#"le="+Inf",{create}"#)),
            Some(3.0)
        );
        let refused = r#"api="meetings",operation="none""#;
        assert_eq!(
            duration("bucket", &format!(r#"le="0.0001",{refused}"#)),
            Some(1.0)
        );
        assert!(text.contains("# TYPE carillon_request_duration_seconds histogram"));
        assert!(text.contains("# UNIT carillon_request_duration_seconds seconds"));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn in_flight_goes_up_and_back_down() {
        let metrics = Metrics::new();
        let gauge = |m: &Metrics| sample(&m.render(), "carillon_requests_in_flight");
        assert_eq!(gauge(&metrics), Some(0.0));
        let first = metrics.in_flight();
        let second = metrics.in_flight();
        assert_eq!(metrics.requests_in_flight(), 2);
        assert_eq!(gauge(&metrics), Some(2.0));
        drop(first);
        assert_eq!(gauge(&metrics), Some(1.0));
        drop(second);
        assert_eq!(metrics.requests_in_flight(), 0);
        assert_eq!(gauge(&metrics), Some(0.0));
        assert!(metrics
            .render()
            .contains("# TYPE carillon_requests_in_flight gauge"));
    }

    #[test]
    fn throttling_and_overload_are_counted() {
        let metrics = Metrics::new();
        assert_eq!(
            sample(&metrics.render(), "carillon_overload_rejections_total"),
            Some(0.0)
        );
        metrics.throttled("legacy", "ListMeetings");
        metrics.throttled("legacy", "ListMeetings");
        metrics.throttled("meetings", "GetMeeting");
        metrics.overloaded();
        let text = metrics.render();
        assert_eq!(
            sample(
                &text,
                r#"carillon_throttled_total{api="legacy",operation="ListMeetings"}"#
            ),
            Some(2.0)
        );
        assert_eq!(
            sample(
                &text,
                r#"carillon_throttled_total{api="meetings",operation="GetMeeting"}"#
            ),
            Some(1.0)
        );
        assert_eq!(
            sample(&text, "carillon_overload_rejections_total"),
            Some(1.0)
        );
        assert!(text.contains("# TYPE carillon_throttled counter"));
        assert!(text.contains("# TYPE carillon_overload_rejections counter"));
    }

    #[test]
    fn store_calls_are_timed_and_their_errors_counted() {
        let metrics = Metrics::new();
        metrics.observe_store("get_meeting", Duration::from_micros(300), true);
        metrics.observe_store("create_meeting", ms(2), true);
        metrics.observe_store("create_meeting", ms(7), false);
        let text = metrics.render();
        let errors = |method: &str| {
            sample(
                &text,
                &format!(r#"carillon_store_errors_total{{method="{method}"}}"#),
            )
        };
        assert_eq!(errors("create_meeting"), Some(1.0));
        // A method that never failed still shows its error counter, at zero.
        assert_eq!(errors("get_meeting"), Some(0.0));
        assert_eq!(
            sample(
                &text,
                r#"carillon_store_duration_seconds_count{method="create_meeting"}"#
            ),
            Some(2.0)
        );
        assert_eq!(
            sample(
                &text,
                r#"carillon_store_duration_seconds_bucket{le="0.0005",method="get_meeting"}"#
            ),
            Some(1.0)
        );
        assert!(text.contains("# TYPE carillon_store_duration_seconds histogram"));
        assert!(text.contains("# TYPE carillon_store_errors counter"));
    }
}
