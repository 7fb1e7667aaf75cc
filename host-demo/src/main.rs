//! Runs host-demo: `host-demo <listen addr> <kabinet origin> [foreign origin]`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:8000".into());
    let kabinet = args.next().unwrap_or_else(|| "http://lk.company.localhost:8080".into());
    let foreign = args.next().unwrap_or_else(|| "http://foreign.localhost:8001".into());
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    eprintln!("host-demo listening on {listen}, embedding {kabinet}");
    host_demo::serve(listener, host_demo::Site::new(kabinet, foreign), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
