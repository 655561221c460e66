"""The Responses API itself: the incoming request, its objects, and the event-stream builder."""
