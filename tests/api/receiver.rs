//! A webhook receiver on a loopback port (alerts, rebuild hooks): records the bodies it
//! accepts with their signature header, and can fail the first posts to make igfeed retry.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::Value;

use super::helpers::wait_until;

/// One accepted post.
#[derive(Debug, Clone)]
pub struct Received {
    /// The body as sent.
    pub raw: Vec<u8>,
    /// The body, parsed.
    pub body: Value,
    /// `X-Igfeed-Signature`, when sent.
    pub signature: Option<String>,
}

/// A webhook receiver on a loopback port that records every body it accepts.
pub struct Receiver {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    pub attempts: Arc<AtomicUsize>,
    pub handle: actix_web::dev::ServerHandle,
}

#[derive(Clone)]
struct Recorder {
    received: Arc<Mutex<Vec<Received>>>,
    attempts: Arc<AtomicUsize>,
    fail_first: usize,
}

async fn record(recorder: web::Data<Recorder>, req: HttpRequest, raw: web::Bytes) -> HttpResponse {
    let attempt = recorder.attempts.fetch_add(1, Ordering::SeqCst) + 1;
    if attempt <= recorder.fail_first {
        return HttpResponse::InternalServerError().finish();
    }
    let Ok(body) = serde_json::from_slice(&raw) else {
        return HttpResponse::BadRequest().finish();
    };
    let signature = req
        .headers()
        .get("x-igfeed-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    recorder.received.lock().expect("lock").push(Received {
        raw: raw.to_vec(),
        body,
        signature,
    });
    HttpResponse::NoContent().finish()
}

impl Receiver {
    /// Answers 500 to the first `fail_first` posts, then accepts.
    pub async fn start(fail_first: usize) -> Self {
        let recorder = Recorder {
            received: Arc::default(),
            attempts: Arc::default(),
            fail_first,
        };
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind receiver");
        let port = listener.local_addr().expect("address").port();
        let data = web::Data::new(recorder.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/hook/secret-path", web::post().to(record))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/hook/secret-path"),
            received: recorder.received,
            attempts: recorder.attempts,
            handle,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("lock").clone()
    }

    pub fn bodies(&self) -> Vec<Value> {
        self.received().into_iter().map(|r| r.body).collect()
    }

    pub fn count(&self, alert: &str) -> usize {
        self.bodies().iter().filter(|b| b["alert"] == alert).count()
    }

    pub async fn wait_for(&self, alert: &str) {
        wait_until(&format!("a {alert} alert"), 10, || async {
            self.count(alert) > 0
        })
        .await;
    }
}
