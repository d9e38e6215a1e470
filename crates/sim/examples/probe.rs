use raftlab_sim::fuzz::{campaign, FuzzOptions};
use raftlab_sim::run::run;
fn main() {
    let s = campaign(
        3,
        &FuzzOptions {
            nodes: vec![5],
            until_us: 3_000_000,
            ..Default::default()
        },
    );
    println!("{} events", s.events.len());
    let lines = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let l2 = lines.clone();
    let o = run(
        &s,
        Some(Box::new(move |e| l2.borrow_mut().push(e.to_json()))),
        true,
    );
    println!("{:?}", o);
    for l in lines.borrow().iter().take(40) {
        println!("{l}");
    }
}
