"""Demo dialogue sessions: one live now, one announced for next week, one ended with its answers."""
from datetime import timedelta

import sqlalchemy as sa

import search
from accounts import services as accounts
from accounts.models import Topic
from database import utcnow
from dialogue import services
from dialogue.models import (DialogueAnswer, DialogueOfficial, DialogueQuestion, DialogueQuestionState as Q,
                             DialogueSession, DialogueVote, SessionState as S)
from extensions import db
from feedback.asking import new_idempotency_key

# (host agency, topic, state, title, description, officials, start in hours from now, questions)
# A question: (state, body, asker, anonymous, votes, answer or None, index of the official who answers)
SESSIONS = [
    ("SO-VHTTDL", "van-hoa", S.LIVE,
     "Cải cách thủ tục hành chính trong lĩnh vực văn hóa, thể thao và du lịch",
     "<p>Lãnh đạo Sở Văn hóa, Thể thao và Du lịch tỉnh Gia Lai đối thoại trực tuyến với người dân, doanh nghiệp "
     "về kết quả cải cách thủ tục hành chính: rút ngắn thời gian giải quyết thủ tục quảng cáo, chuyển giao một số "
     "dịch vụ hành chính công cho Bưu điện thực hiện và tiếp nhận hồ sơ trực tuyến.</p>"
     "<p>Mời bạn gửi câu hỏi trước và trong buổi đối thoại, và bình chọn những câu hỏi bạn quan tâm.</p>",
     [("Trần Quốc Hưng", "Giám đốc Sở Văn hóa, Thể thao và Du lịch"),
      ("Lê Thị Thu Hà", "Phó Giám đốc Sở Văn hóa, Thể thao và Du lịch"),
      ("Phan Văn Minh", "Trưởng phòng Quản lý văn hóa và Gia đình")],
     -0.5,
     [(Q.ANSWERED, "Thủ tục thông báo sản phẩm quảng cáo trên băng rôn hiện nay phải nộp trước bao nhiêu ngày?",
       "Nguyễn Thị Mai", False, 14,
       "<p>Theo quy định, hồ sơ thông báo sản phẩm quảng cáo trên bảng quảng cáo, băng rôn phải gửi trước "
       "<strong>15 ngày</strong>. Sở đã đề xuất rút ngắn thời gian này xuống còn <strong>5 ngày</strong> và "
       "đang chờ cấp có thẩm quyền phê duyệt.</p>", 0),
      (Q.SHORTLISTED, "Tôi có thể nộp hồ sơ xin giấy phép tổ chức biểu diễn nghệ thuật qua Bưu điện được không?",
       "Rơ Châm H'Lim", False, 9, None, None),
      (Q.APPROVED, "Hộ kinh doanh karaoke ở Pleiku cần chuẩn bị những giấy tờ gì khi đề nghị cấp giấy phép?",
       "Đỗ Văn Toàn", False, 6, None, None),
      (Q.APPROVED, "Sở có kế hoạch hỗ trợ các homestay ở huyện Kbang đăng ký đạt chuẩn phục vụ khách du lịch "
       "không?", "Ksor Y Thu", True, 3, None, None),
      (Q.NEW, "Xin hỏi lệ phí thẩm định nội dung kịch bản trò chơi điện tử là bao nhiêu?",
       "Lý Minh Khang", False, 0, None, None)]),
    ("SO-TTTT", "thong-tin-truyen-thong", S.ANNOUNCED,
     "Chuyển đổi số và dịch vụ công trực tuyến: người dân hỏi, lãnh đạo trả lời",
     "<p>Sở Thông tin và Truyền thông trao đổi với người dân về việc thực hiện thủ tục hành chính theo cơ chế "
     "một cửa, một cửa liên thông và nộp hồ sơ trực tuyến toàn trình.</p>",
     [("Võ Thành Nam", "Giám đốc Sở Thông tin và Truyền thông"),
      ("Nguyễn Thị Phương", "Phó Giám đốc Sở Thông tin và Truyền thông")],
     7 * 24 + 1,
     [(Q.APPROVED, "Người cao tuổi không rành điện thoại thì có được hỗ trợ nộp hồ sơ trực tuyến tại xã không?",
       "Phạm Thị Lụa", False, 4, None, None)]),
    ("SO-NV", "noi-vu", S.ENDED,
     "Cải cách hành chính và sự hài lòng của người dân năm 2025",
     "<p>Lãnh đạo Sở Nội vụ trả lời câu hỏi về chỉ số cải cách hành chính và việc nâng cao chất lượng phục vụ "
     "tại Bộ phận tiếp nhận và trả kết quả.</p>",
     [("Nguyễn Tú Anh", "Chánh Văn phòng Sở Nội vụ")],
     -30 * 24,
     [(Q.ANSWERED, "Vì sao số giao dịch trực tuyến của Sở Nội vụ tăng mạnh trong năm qua?", "Hoàng Văn Dũng",
       False, 5,
       "<p>Sở đã hướng dẫn người dân nộp hồ sơ trực tuyến ngay tại Bộ phận tiếp nhận và trả kết quả, và công "
       "khai đầy đủ quy trình trên Cổng dịch vụ công của tỉnh.</p>", 0)]),
]


def load_dialogue():
    """Create the demo sessions (once: skipped when any session exists)."""
    if db.session.scalar(sa.select(sa.func.count(DialogueSession.id))):
        return
    topics = {t.slug: t for t in db.session.scalars(sa.select(Topic))}
    for agency, topic, state, title, description, officials, start_hours, questions in SESSIONS:
        now = utcnow().replace(second=0, microsecond=0)
        starts = now + timedelta(hours=start_hours)
        session = DialogueSession(
            title=title, topic=topics[topic], host_agency=accounts.find_agency(agency), description_html=description,
            starts_at=starts, ends_at=starts + timedelta(hours=2), state=state,
            questions_open_at=min(starts, now) - timedelta(days=2), questions_close_at=starts + timedelta(hours=2),
            officials=[DialogueOfficial(name=n, position=p, position_order=i) for i, (n, p) in enumerate(officials)])
        db.session.add(session)
        db.session.flush()
        for n, question in enumerate(questions):
            _add_question(session, n, *question)


def _add_question(session, n, state, body, asker, anonymous, votes, answer, official):
    """One demo question, with its votes, its answer and its place in the search."""
    asked = session.questions_open_at + timedelta(hours=n + 1)
    question = DialogueQuestion(session=session, idempotency_key=new_idempotency_key(), body=body, asker_name=asker,
                                anonymous=anonymous, asker_email=f"nguoixem{session.id}.{n}@example.vn", state=state,
                                vote_count=votes, submitted_at=asked,
                                approved_at=asked + timedelta(hours=1) if state is not Q.NEW else None)
    db.session.add(question)
    db.session.flush()
    db.session.add_all(DialogueVote(question_id=question.id, voter_key=f"demo:{v}") for v in range(votes))
    if answer:
        question.answered_at = max(session.starts_at, asked) + timedelta(minutes=10)
        reply = DialogueAnswer(question=question, official=session.officials[official], body_html=answer,
                               published_at=question.answered_at, updated_at=question.answered_at)
        db.session.add(reply)
        db.session.flush()
        services.index_answered(question, reply)
        if session.state is S.LIVE:
            session.current_question = question
    elif state is not Q.NEW:
        search.index(services.search_kind(session.id), question.id, body, published_at=question.approved_at)
