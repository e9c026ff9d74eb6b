package emulator

// IssuedTokens returns every access, id and refresh token the server has issued, in
// order, so a test can prove none of them reached an output, a log or a file.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}
