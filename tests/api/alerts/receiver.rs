//! A webhook receiver on a loopback port: records the bodies it accepts, and can fail the
//! first posts to make igfeed retry.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::Value;

use super::super::helpers::wait_until;

/// A webhook receiver on a loopback port that records every body it accepts.
pub struct Receiver {
    pub url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
    pub attempts: Arc<AtomicUsize>,
    pub handle: actix_web::dev::ServerHandle,
}

#[derive(Clone)]
struct Recorder {
    bodies: Arc<Mutex<Vec<Value>>>,
    attempts: Arc<AtomicUsize>,
    fail_first: usize,
}

async fn record(recorder: web::Data<Recorder>, body: web::Json<Value>) -> HttpResponse {
    let attempt = recorder.attempts.fetch_add(1, Ordering::SeqCst) + 1;
    if attempt <= recorder.fail_first {
        return HttpResponse::InternalServerError().finish();
    }
    recorder
        .bodies
        .lock()
        .expect("lock")
        .push(body.into_inner());
    HttpResponse::NoContent().finish()
}

impl Receiver {
    /// Answers 500 to the first `fail_first` posts, then accepts.
    pub async fn start(fail_first: usize) -> Self {
        let recorder = Recorder {
            bodies: Arc::default(),
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
            bodies: recorder.bodies,
            attempts: recorder.attempts,
            handle,
        }
    }

    pub fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().expect("lock").clone()
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
