//! SIP messages inside UccApilog records (BRIEF §3.3).
