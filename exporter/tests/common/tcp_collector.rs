//! A TCP IPFIX collector for the tests: accepts connections on a port and decodes each
//! message's header and sets (templates learnt per connection, so that data records can be
//! counted); stopped, with its connections closed, when dropped.

use std::collections::HashMap;
use std::io::{self, Read};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// What one message held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub sequence: u32,
    pub domain: u32,
    /// Ids of the template records it carried.
    pub templates: Vec<u16>,
    pub data_records: u32,
}

/// The messages of each connection, in order.
pub type Connections = Arc<Mutex<Vec<Vec<Received>>>>;

pub struct TcpCollector {
    pub port: u16,
    pub connections: Connections,
    /// What could not be decoded: the test fails on the next look at what was received.
    errors: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TcpCollector {
    /// Listens on 127.0.0.1:`port` (0: any free port).
    pub fn start(port: u16) -> TcpCollector {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("collector port");
        let port = listener.local_addr().expect("address").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let connections: Connections = Arc::default();
        let errors: Arc<Mutex<Vec<String>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (connections, stop) = (Arc::clone(&connections), Arc::clone(&stop));
            let errors = Arc::clone(&errors);
            std::thread::spawn(move || {
                let mut readers = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let index = {
                                let mut all = connections.lock().expect("lock");
                                all.push(Vec::new());
                                all.len() - 1
                            };
                            let (connections, stop) = (Arc::clone(&connections), Arc::clone(&stop));
                            let errors = Arc::clone(&errors);
                            readers.push(std::thread::spawn(move || {
                                if let Err(error) =
                                    read_messages(stream, &connections, index, &stop)
                                {
                                    errors.lock().expect("lock").push(error);
                                }
                            }));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
                for reader in readers {
                    reader.join().expect("reader");
                }
            })
        };
        TcpCollector {
            port,
            connections,
            errors,
            stop,
            thread: Some(thread),
        }
    }

    /// The messages of each connection; fails the test if one could not be decoded.
    pub fn received(&self) -> Vec<Vec<Received>> {
        let errors = self.errors.lock().expect("lock").clone();
        assert!(
            errors.is_empty(),
            "the collector could not decode: {errors:?}"
        );
        self.connections.lock().expect("lock").clone()
    }

    /// Data records received on all connections.
    pub fn data_records(&self) -> u32 {
        self.received()
            .iter()
            .flatten()
            .map(|m| m.data_records)
            .sum()
    }
}

impl Drop for TcpCollector {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read_messages(
    mut stream: TcpStream,
    connections: &Connections,
    index: usize,
    stop: &AtomicBool,
) -> Result<(), String> {
    stream.set_nonblocking(false).expect("blocking");
    stream
        .set_read_timeout(Some(Duration::from_millis(20)))
        .expect("timeout");
    let mut templates: HashMap<u16, Vec<u16>> = HashMap::new();
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 65536];
    while !stop.load(Ordering::SeqCst) {
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Ok(()),
        }
        while buffer.len() >= 16 {
            let version = u16_at(&buffer, 0);
            if version != 10 {
                return Err(format!("a message of version {version}"));
            }
            let length = usize::from(u16_at(&buffer, 2));
            if buffer.len() < length {
                break;
            }
            let message: Vec<u8> = buffer.drain(..length).collect();
            let received = decode(&message, &mut templates)?;
            connections.lock().expect("lock")[index].push(received);
        }
    }
    Ok(())
}

fn u16_at(bytes: &[u8], offset: usize) -> u16 {
    u16::from_be_bytes([bytes[offset], bytes[offset + 1]])
}

fn u32_at(bytes: &[u8], offset: usize) -> u32 {
    u32::from_be_bytes([
        bytes[offset],
        bytes[offset + 1],
        bytes[offset + 2],
        bytes[offset + 3],
    ])
}

/// Decodes a message, learning its templates (field lengths) and counting data records
/// with them; a data set of a template not (yet) received is an error.
pub fn decode(message: &[u8], templates: &mut HashMap<u16, Vec<u16>>) -> Result<Received, String> {
    let mut received = Received {
        sequence: u32_at(message, 8),
        domain: u32_at(message, 12),
        templates: Vec::new(),
        data_records: 0,
    };
    let mut offset = 16;
    while offset < message.len() {
        let (set_id, set_len) = (
            u16_at(message, offset),
            usize::from(u16_at(message, offset + 2)),
        );
        let end = offset + set_len;
        let mut at = offset + 4;
        if set_id == 2 {
            while at + 4 <= end {
                let (id, count) = (u16_at(message, at), u16_at(message, at + 2));
                at += 4;
                let mut lengths = Vec::new();
                for _ in 0..count {
                    let (element, length) = (u16_at(message, at), u16_at(message, at + 2));
                    at += if element & 0x8000 != 0 { 8 } else { 4 };
                    lengths.push(length);
                }
                templates.insert(id, lengths);
                received.templates.push(id);
            }
        } else {
            let lengths = templates
                .get(&set_id)
                .ok_or_else(|| format!("data set {set_id} before its template"))?;
            // A record is at least one octet a field: what is left after the last is padding.
            while at + lengths.len() <= end {
                for &length in lengths {
                    if length == 65535 {
                        let short = usize::from(message[at]);
                        at += if short < 255 {
                            1 + short
                        } else {
                            3 + usize::from(u16_at(message, at + 1))
                        };
                    } else {
                        at += usize::from(length);
                    }
                }
                received.data_records += 1;
            }
        }
        offset = end;
    }
    Ok(received)
}
